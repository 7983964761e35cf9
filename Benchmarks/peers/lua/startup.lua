-- Process start-up and printing one line; the Lua twin of startup.py. Prints ok.
print("ok")
