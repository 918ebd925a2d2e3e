"""``python -m videotheque``: the same command as ``videotheque``."""

from videotheque.commands.cli.app import main

if __name__ == "__main__":
    main()
