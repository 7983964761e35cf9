-- The module modcall.lua calls into; the Lua twin of modcall_mod.py.
local M = {}

function M.f(a, i)
  return a + i
end

return M
