"""The command line's exit codes (README, "Exit codes")."""

OK = 0
FAILURE = 1  # Discord refused or is unreachable, the fact base is broken or refused
USAGE = 2  # no token, bad configuration or arguments
DATABASE = 3  # the database cannot be opened, read or written (corrupt, locked, full)
RUNNING = 4  # another bot already runs on this database
