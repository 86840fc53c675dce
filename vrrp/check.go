package vrrp

// CheckConfig returns the error NewRouter and Reload would return for
// cfg's shape (names, VRIDs, priorities, intervals, authentication, VIP
// count, sync groups) without building anything, so a caller can refuse
// a config before any part of the daemon commits to it.
func CheckConfig(cfg Config) error { return checkConfig(cfg) }
