# Process checks shared by the service scripts (sourced, not run).

# proc_running PID: the process exists and is not a zombie (daemons are reparented to PID 1, which
# may reap late or never in containers, so an exited daemon can linger as 'Z').
proc_running() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)"
  [[ "$st" != "Z" && "$st" != "X" ]]
}

# pid_of PIDFILE COMM: prints the pid if the file names a live process whose command name starts
# with COMM (the kernel cuts names to 15 characters), so a recycled pid is never taken for ours.
pid_of() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] && proc_running "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2"* ]] || return 1
  echo "$pid"
}
