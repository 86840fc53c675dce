bgp {
  asn       = 64512
  router_id = "192.0.2.1"
}
