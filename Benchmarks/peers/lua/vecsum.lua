-- Build a 1,000,000-element array one append at a time, then sum it by iterating over it; the Lua
-- twin of vecsum.py. Prints 499999500000.
local N = 1000000
local v = {}
for i = 0, N - 1 do
  v[#v + 1] = i
end
local s = 0
for _, x in ipairs(v) do
  s = s + x
end
print(s)
