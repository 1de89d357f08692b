"""Payment provider simulators on loopback (WeChat Pay v3, Alipay), for the
demo and the tests: the provider's side of each protocol, with fresh test
keys and fault switches. Never part of a production server."""
