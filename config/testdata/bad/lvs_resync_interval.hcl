# A resync many times a second would read the whole table for nothing.
global {
  lvs_resync_interval = "200ms"
}
