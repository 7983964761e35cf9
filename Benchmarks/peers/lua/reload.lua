-- Reload latency; the Lua twin of reload.py. Generates a module of N one-line functions
-- (hot_N.lua returning a table), then 20 times rewrites it with a new constant and times dofile
-- of it alone (read + compile + run, which builds the new module table, installed as
-- package.loaded[name] as require would), checking that the new code answers.
-- Usage: lua5.4 reload.lua N. Lua's standard library has no wall clock finer than a second, so
-- the time is os.clock(), the process's CPU time (microsecond resolution; the file is in the page
-- cache, so the read does not wait). Prints
-- "reload lua N=... median_ms=... min_ms=... max_ms=...".
local N = math.tointeger(tonumber(arg[1]))
assert(N and N >= 1, "usage: reload.lua N (N >= 1)")
local R = 20
local name = "hot_" .. N
local scratch = os.tmpname()
local path = scratch .. "_" .. name .. ".lua"

local function gen(v)
  local f = assert(io.open(path, "w"))
  f:write("local M = {}\nM.VERSION = ", v, "\n")
  for k = 0, N - 1 do
    f:write("function M.f", k, "(x)\n  return x + ", k, " + ", v, "\nend\n\n")
  end
  f:write("return M\n")
  f:close()
end

gen(0)
package.loaded[name] = dofile(path)
local ts = {}
for v = 1, R do
  gen(v)
  local t0 = os.clock()
  package.loaded[name] = dofile(path)
  ts[#ts + 1] = (os.clock() - t0) * 1000
  local m = package.loaded[name]
  assert(m["f" .. (N - 1)](1) == 1 + (N - 1) + v and m.VERSION == v, "reload did not take effect")
end
os.remove(path)
os.remove(scratch)

local sorted = {}
for i, t in ipairs(ts) do sorted[i] = t end
table.sort(sorted)
local mid = #sorted // 2
local median = (#sorted % 2 == 0) and (sorted[mid] + sorted[mid + 1]) / 2 or sorted[mid + 1]
print(string.format("reload lua N=%d median_ms=%.3f min_ms=%.3f max_ms=%.3f",
                    N, median, sorted[1], sorted[#sorted]))
