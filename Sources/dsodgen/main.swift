import DSODCommands

DsodgenCommand.main()
