global {
  control_socket = ""
  metrics_listen = "9469"
  lvs_timeouts {
    tcp = "1.5s"
    udp = -3
  }
  notification {
    email {
      server = "smtp example com"
      from   = "not an address"
      to     = ["ops@example.com", "@@"]
    }
    webhook "a" {
      url        = "ftp://example.com/x"
      retries    = -1
      queue_size = 0
      headers    = ["x"]
    }
  }
}
