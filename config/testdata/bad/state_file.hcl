global {
  state_file = "state.json"
}
