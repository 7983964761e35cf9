-- Naive recursive fib 30; the Lua twin of fib.py. fib is a global, looked up at every call
-- like python's module-level function. Prints 832040.
function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

print(fib(30))
