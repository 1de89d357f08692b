"""ccTalk bill validators (and coin acceptors): framing, host, pyserial driver."""
