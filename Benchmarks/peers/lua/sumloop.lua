-- Sum 1..10,000,000 in a counted loop (64-bit integers); the Lua twin of sumloop.py.
-- Prints 50000005000000.
local s = 0
for i = 1, 10000000 do
  s = s + i
end
print(s)
