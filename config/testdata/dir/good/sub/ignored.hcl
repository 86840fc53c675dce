bogus {}
