vrrp_instance "HIDDEN" {}
