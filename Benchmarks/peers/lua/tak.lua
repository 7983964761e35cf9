-- (tak 18 12 6) 20 times, summed; the Lua twin of tak.py. tak is a global, looked up at every
-- call. Prints 140.
function tak(x, y, z)
  if not (y < x) then
    return z
  end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end

local s = 0
for _ = 1, 20 do
  s = s + tak(18, 12, 6)
end
print(s)
