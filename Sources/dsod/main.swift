import DSODCommands

DsodCommand.main()
