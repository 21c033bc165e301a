"""Settings: ``base`` (development and demo, the default), ``production``, ``test``."""
