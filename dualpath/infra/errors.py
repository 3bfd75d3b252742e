class SetupError(RuntimeError):
    """A problem a person can fix; its message is one line saying what to do.

    The `dualpath` command prints it without a traceback.
    """
