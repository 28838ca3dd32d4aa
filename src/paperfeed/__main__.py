"""``python -m paperfeed``: the same CLI as the ``paperfeed`` console script (handy in subprocesses)."""

from paperfeed.cli.app import main

if __name__ == "__main__":
    main()
