-- Concatenate tostring(i) for i below 100,000 through a parts array; the Lua twin of strcat.py.
-- Prints the length, 488890.
local parts = {}
for i = 0, 99999 do
  parts[#parts + 1] = tostring(i)
end
local s = table.concat(parts, "")
print(#s)
