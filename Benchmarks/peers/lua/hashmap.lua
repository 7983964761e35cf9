-- 200,000 inserts with keys "k"..i into a table, then 200,000 lookups of keys built anew; the Lua
-- twin of hashmap.py. A Lua table keeps no entry count, so the count walks the table with pairs
-- (python's len is O(1): this side does a little more work). Prints "200000 19999900000".
local N = 200000
local h = {}
for i = 0, N - 1 do
  h["k" .. i] = i
end
local s = 0
for i = 0, N - 1 do
  s = s + h["k" .. i]
end
local count = 0
for _ in pairs(h) do
  count = count + 1
end
io.write(count, " ", s, "\n")
