# Regent's fence: stops this PostgreSQL at once when the agent's keep-alives stop.
#
#   bash regent-fence.sh STATE_DIR DATA_DIR
#
# Runs as PostgreSQL's OS user in its own session. Reads lines from STATE_DIR/fence.fifo:
#   keepalive MS | arm MS   the deadline is MS milliseconds from now (arms the fence)
#   disarm                  no deadline
#   exit                    disarm and exit
# When the deadline passes it sends SIGQUIT (immediate shutdown) to the postmaster of DATA_DIR,
# SIGKILL if that postmaster still runs 5 s later, and waits disarmed for the next keep-alive.
# Only one fence runs per STATE_DIR (a lock on fence.lock); its pid is in fence.pid, its events
# in fence.log. Its loop uses bash builtins only: no fork per keep-alive. Disarmed, it looks every
# 10 s whether DATA_DIR and its fifo still exist, and exits once either is gone (nothing is left to
# guard; an agent that arms it again starts a new fence).

set -u
shopt -s extglob
export LC_ALL=C

state=${1:?usage: regent-fence.sh STATE_DIR DATA_DIR}
data=${2:?usage: regent-fence.sh STATE_DIR DATA_DIR}
fifo=$state/fence.fifo
pidfile=$state/fence.pid
logfile=$state/fence.log
lockfile=$state/fence.lock
log_limit=1048576
escalate_ms=5000
idle_ms=10000

now=0
armed=0
deadline=0
victim=0
victim_since=0
pm=0
log_bytes=0

# Milliseconds since boot, rounded down: /proc/uptime is monotonic and needs no fork to read.
clock() {
  local up rest
  read -r up rest </proc/uptime
  now=$((10#${up/./} * 10))
}

log() {
  local line ts t=${EPOCHREALTIME-}
  if [[ -n $t ]]; then
    printf -v ts '%(%Y-%m-%d %H:%M:%S)T.%.3s %(%z)T' "${t%.*}" "${t#*.}" "${t%.*}"
  else
    printf -v ts '%(%Y-%m-%d %H:%M:%S %z)T' -1
  fi
  line="$ts fence[$$]: $*"
  if ((log_bytes + ${#line} + 1 > log_limit)); then
    : >"$logfile"
    log_bytes=0
  fi
  printf '%s\n' "$line" >&4
  log_bytes=$((log_bytes + ${#line} + 1))
}

# Whether $1 is a live postgres process working in DATA_DIR (the postmaster chdirs there), not
# a reused pid or another cluster's server.
is_postmaster() {
  local pid=$1 comm stat
  read -r comm 2>/dev/null </proc/"$pid"/comm || return 1
  [[ $comm == postgres || $comm == postmaster ]] || return 1
  read -r stat 2>/dev/null </proc/"$pid"/stat || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != [ZX] ]] || return 1
  [[ /proc/$pid/cwd -ef $data ]]
}

# Sets pm to the running postmaster of DATA_DIR, from the first line of its postmaster.pid.
find_postmaster() {
  local first
  pm=0
  { read -r first; } 2>/dev/null <"$data/postmaster.pid" || return 1
  [[ $first =~ ^[0-9]+$ ]] || return 1
  is_postmaster "$first" || return 1
  pm=$first
}

fire() {
  local late=$((now - deadline))
  armed=0
  if ! find_postmaster; then
    log "deadline passed ${late} ms ago: no running PostgreSQL for $data, nothing to stop"
    return
  fi
  kill -QUIT "$pm" 2>/dev/null
  log "deadline passed ${late} ms ago: sent SIGQUIT (immediate shutdown) to postmaster $pm of $data"
  victim=$pm
  victim_since=$now
}

watch_victim() {
  if ! is_postmaster "$victim"; then
    log "postmaster $victim has exited"
    victim=0
  elif ((now - victim_since >= escalate_ms)); then
    kill -KILL "$victim" 2>/dev/null
    log "postmaster $victim still ran $((now - victim_since)) ms after SIGQUIT: sent SIGKILL"
    victim=0
  fi
}

on_exit() {
  local p
  if { read -r p; } 2>/dev/null <"$pidfile" && [[ $p == "$$" ]]; then
    rm -f -- "$pidfile" 3<&- 5<&-
  fi
}

umask 077
exec </dev/null 4>>"$logfile" || exit 2
exec >&4 2>&4
log_bytes=$(stat -c %s -- "$logfile" 2>/dev/null) || log_bytes=0
if ((log_bytes > log_limit)); then
  : >"$logfile"
  log_bytes=0
fi

exec 5>>"$lockfile" || exit 2
if ! flock -n 5; then
  other=
  { read -r other; } 2>/dev/null <"$pidfile"
  log "another fence${other:+ (pid $other)} already guards $state: exiting"
  exit 3
fi
if [[ ! -p $fifo ]]; then
  rm -f -- "$fifo"
  mkfifo -m 600 -- "$fifo" || {
    log "cannot create $fifo: exiting"
    exit 2
  }
fi
# Read-write: no EOF when the agent, the only writer, closes its end or dies.
exec 3<>"$fifo" || exit 2
trap on_exit EXIT
trap 'log "terminated by SIGTERM"; exit 143' TERM
trap '' HUP INT PIPE
printf '%s\n' "$$" >"$pidfile.$$" && mv -f -- "$pidfile.$$" "$pidfile" 3<&- || exit 2
log "started (pid $$, data dir $data), disarmed"

fresh=0
while :; do
  # After a keep-alive the clock was just read: save a read of /proc/uptime.
  ((fresh)) || clock
  fresh=0
  if ((armed && now >= deadline)); then
    fire
    continue
  fi
  ((victim)) && watch_victim
  wait_ms=$idle_ms
  ((armed)) && wait_ms=$((deadline - now))
  ((victim && (wait_ms < 0 || wait_ms > 100))) && wait_ms=100
  cmd= arg=
  ((wait_ms < 0)) && wait_ms=0
  printf -v timeout '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000))
  read -r -u 3 -t "$timeout" cmd arg
  rc=$?
  if ((rc > 128)); then
    if ((!armed && !victim)) && [[ ! -d $data || ! -p $fifo ]]; then
      log "$([[ -d $data ]] && echo "$fifo" || echo "data directory $data") is gone: exiting"
      exit 0
    fi
    continue
  fi
  if ((rc != 0)); then
    log "lost $fifo (read failed with $rc): exiting"
    exit 2
  fi
  case $cmd in
  keepalive | arm)
    if [[ ${#arg} -le 12 && $arg == +([0-9]) ]]; then
      clock
      # +10: the clock counts in steps of 10 ms, so the deadline is never earlier than asked.
      deadline=$((now + 10 + 10#$arg))
      fresh=1
      if ((!armed)); then
        armed=1
        log "armed: deadline in $((10#$arg)) ms"
      fi
    else
      log "ignored a malformed command: $cmd $arg"
    fi
    ;;
  disarm)
    if ((armed)); then
      armed=0
      log "disarmed"
    fi
    ;;
  exit)
    if ((armed)); then
      log "exiting on request, disarmed"
    else
      log "exiting on request"
    fi
    exit 0
    ;;
  '') ;;
  *)
    log "ignored an unknown command: $cmd"
    ;;
  esac
done
