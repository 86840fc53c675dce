global {
  lvs_sync_daemon {
    syncid = 1
  }
}
