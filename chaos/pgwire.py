"""PostgreSQL through the machine's libpq (ctypes, no extra Python packages).

Independent of Regent's code on purpose: the workload and the checker see the cluster only as an
application does. Every query has a deadline, so a frozen server cannot hang the caller.
"""

import ctypes
import select
import time

_lib = ctypes.CDLL("libpq.so.5")
_vp, _cp, _int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
for name, res, args in [
    ("PQconnectdb", _vp, [_cp]),
    ("PQstatus", _int, [_vp]),
    ("PQerrorMessage", _cp, [_vp]),
    ("PQfinish", None, [_vp]),
    ("PQsocket", _int, [_vp]),
    ("PQsendQuery", _int, [_vp, _cp]),
    ("PQconsumeInput", _int, [_vp]),
    ("PQisBusy", _int, [_vp]),
    ("PQgetResult", _vp, [_vp]),
    ("PQresultStatus", _int, [_vp]),
    ("PQresultErrorMessage", _cp, [_vp]),
    ("PQntuples", _int, [_vp]),
    ("PQnfields", _int, [_vp]),
    ("PQgetvalue", _cp, [_vp, _int, _int]),
    ("PQgetisnull", _int, [_vp, _int, _int]),
    ("PQclear", None, [_vp]),
]:
    f = getattr(_lib, name)
    f.restype = res
    f.argtypes = args

_CONNECTION_OK = 0
_PGRES_COMMAND_OK = 1
_PGRES_TUPLES_OK = 2


class PgError(Exception):
    """The server answered with an error, or the connection failed."""


class PgTimeout(PgError):
    """No answer before the deadline: the outcome of the statement is unknown."""


class Conn:
    def __init__(self, conninfo):
        self._c = _lib.PQconnectdb(conninfo.encode())
        if not self._c or _lib.PQstatus(self._c) != _CONNECTION_OK:
            msg = _lib.PQerrorMessage(self._c).decode(errors="replace") if self._c else "no memory"
            self.close()
            raise PgError(msg.strip())

    def close(self):
        if self._c:
            _lib.PQfinish(self._c)
            self._c = None

    def query(self, sql, timeout):
        """Rows (tuples of str or None) of the last result; raises PgError or PgTimeout."""
        if not self._c:
            raise PgError("closed")
        deadline = time.monotonic() + timeout
        if not _lib.PQsendQuery(self._c, sql.encode()):
            raise PgError(_lib.PQerrorMessage(self._c).decode(errors="replace").strip())
        sock = _lib.PQsocket(self._c)
        while _lib.PQisBusy(self._c):
            left = deadline - time.monotonic()
            if left <= 0:
                raise PgTimeout("no answer within %.1f s" % timeout)
            ready, _, _ = select.select([sock], [], [], left)
            if ready and not _lib.PQconsumeInput(self._c):
                raise PgError(_lib.PQerrorMessage(self._c).decode(errors="replace").strip())
        rows, error = [], None
        while True:
            res = _lib.PQgetResult(self._c)
            if not res:
                break
            st = _lib.PQresultStatus(res)
            if st == _PGRES_TUPLES_OK:
                n, m = _lib.PQntuples(res), _lib.PQnfields(res)
                rows = [
                    tuple(
                        None
                        if _lib.PQgetisnull(res, i, j)
                        else _lib.PQgetvalue(res, i, j).decode()
                        for j in range(m)
                    )
                    for i in range(n)
                ]
            elif st != _PGRES_COMMAND_OK:
                error = _lib.PQresultErrorMessage(res).decode(errors="replace").strip()
            _lib.PQclear(res)
        if error is not None:
            raise PgError(error)
        return rows
