global {
  max_script_processes = 0
}
