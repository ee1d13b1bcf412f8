"""The one error type that reaches users: a sentence in Chinese saying what to do next."""


class YiyuanError(Exception):
    """An expected failure with a message meant for the person at the keyboard.

    Command-line entry points and ``jupyterhub_config.py`` print ``str(error)`` and exit
    with status 1 instead of a traceback.
    """


class SettingsError(YiyuanError):
    """The settings file or an environment override is missing or malformed."""


class DatabaseError(YiyuanError):
    """The platform database cannot be reached or its schema is not current."""


class AccountError(YiyuanError):
    """A request about an account that cannot be carried out (unknown user, weak password …)."""
