-- 0..999,999 -> map with a closure from make_scaler(3) -> filter with a closure from
-- make_divisible(2) -> reduce with an anonymous function; the Lua twin of closures.py. Lua has no
-- map / filter / reduce, so they are written here as plain functions building new arrays (python's
-- are built into the interpreter, in C). Prints 749998500000.
function make_scaler(k)
  return function(x) return x * k end
end

function make_divisible(m)
  return function(x) return x % m == 0 end
end

function map(f, xs)
  local out = {}
  for i = 1, #xs do
    out[i] = f(xs[i])
  end
  return out
end

function filter(p, xs)
  local out = {}
  for i = 1, #xs do
    local x = xs[i]
    if p(x) then
      out[#out + 1] = x
    end
  end
  return out
end

function reduce(f, xs, init)
  local acc = init
  for i = 1, #xs do
    acc = f(acc, xs[i])
  end
  return acc
end

local xs = {}
for i = 0, 999999 do
  xs[i + 1] = i
end
local ys = map(make_scaler(3), xs)
local zs = filter(make_divisible(2), ys)
print(reduce(function(a, b) return a + b end, zs, 0))
