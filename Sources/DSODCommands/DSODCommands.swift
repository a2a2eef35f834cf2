// DSODCommands
