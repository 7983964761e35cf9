-- 5,000,000 calls acc = modcall_mod.f(acc, i) to a function in another module (required as a
-- table, the field looked up at every call, as python looks up the module attribute); the Lua
-- twin of modcall.py. Run with this directory as the working directory so require finds
-- modcall_mod.lua. Prints 12499997500000.
local modcall_mod = require("modcall_mod")
local acc = 0
for i = 0, 4999999 do
  acc = modcall_mod.f(acc, i)
end
print(acc)
