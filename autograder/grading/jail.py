"""Confining untrusted student code: namespaces, a throw-away identity, a syscall filter, limits.

:func:`enter_jail` is called by a freshly started process *before* it runs any student code (the
re-check sandbox in :mod:`autograder.grading.sandbox_main`, and the kernel that nbgrader starts, through
:mod:`autograder.grading.kernel_launcher`). What it can do depends on the privileges it starts with:

- as root (CI, a grading server): private mount, IPC, PID and (unless ``network=True``) network
  namespaces. In the mount namespace the host's world-writable folders (``/tmp``, ``/var/tmp``,
  ``/dev/shm``) and ``/run`` (with its Unix sockets) are replaced by empty private tmpfs mounts, so
  nothing written there reaches the host or the next submission (only the folders the process needs,
  its working folder first, are bound back at their own paths); ``HOME`` is a private folder in that
  ``/tmp``; the protected folders (``solutions/``, ``.git``, the course directory with the gradebook
  and every other student's files) are covered by empty read-only tmpfs mounts. The process then
  forks twice: its child is PID 1 of the new PID namespace (a tiny init that reaps orphans) and the
  grandchild, PID 2, returns from :func:`enter_jail` and runs the student's code; ``/proc`` shows
  those two processes only. Both drop to an unprivileged uid of their own (one per worker slot, so
  that leftovers can be killed by uid without touching other slots). The original process stays
  outside as a supervisor: it forwards signals to the namespace and exits with PID 2's exit code; if
  it is killed, PID 1 dies with it (parent-death signal) and the kernel kills everything in the
  namespace.
- otherwise it tries the same inside an unprivileged user namespace, and when the kernel forbids
  that it applies the resource limits only (the report says which level was reached).

As root with a ``uid``, the jailed process tree also runs in a memory cgroup of its own
(:mod:`.cgroup`, made by the original process, joined by PID 1 before PID 2 exists, removed by the
supervisor when the namespace has ended), whose limit (:meth:`Limits.memory_cgroup_bytes`) bounds
what the tree holds in RAM, kernel memory such as socket and pipe buffers included, which the
address-space limit does not count. Where no cgroup can be made the jail goes on without it and
:data:`REACHED` says so.

Always, last, before returning: resource limits (CPU seconds, address space, file size, number of
processes, open files, no core dumps), ``PR_SET_NO_NEW_PRIVS``, and a seccomp filter
(:func:`install_seccomp`) that refuses the system calls grading never needs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import os
import platform
import resource
import signal
import stat
import struct
import sys
from dataclasses import dataclass

from . import cgroup

__all__ = ["DENIED_SYSCALLS", "Limits", "enter_jail", "install_seccomp", "kill_uid", "slot_uid"]

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2

BASE_UID = 61000  # uids 61000.. are used for worker slots; nothing else on the machine owns them

#: The host's world-writable folders, each replaced by a private tmpfs in the jail (size in MiB).
#: ``/run`` too: its Unix sockets (a database's, D-Bus) are reachable without any network. A
#: tmpfs lives in RAM and RLIMIT_AS does not count it: these sizes bound what a jailed process can
#: keep there (81 MiB in all), and everything goes when its mount namespace does.
PRIVATE_TMP = {"/tmp": 64, "/var/tmp": 8, "/dev/shm": 8, "/run": 1}
#: The jailed process's HOME, inside its private /tmp.
PRIVATE_HOME = "/tmp/home"

#: Signals the supervisor and the namespace's init pass on to the jailed process.
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                     signal.SIGUSR1, signal.SIGUSR2)


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2
    processes: int = 64
    open_files: int = 256
    #: If set (as root), what the process writes in its working folder goes to a tmpfs of this
    #: many MiB laid over it (an overlay: the folder's files stay visible), never to the host's
    #: disk; for a process whose caller reads nothing it writes there (nbgrader's kernel).
    working_folder_mib: int | None = None
    #: Bound (bytes) on what the jailed process tree holds in RAM, kernel memory (socket and pipe
    #: buffers) and tmpfs pages included: its memory cgroup's limit (see :mod:`.cgroup`). ``None``:
    #: the address-space limit, plus the private tmpfs folders, plus :data:`CGROUP_MARGIN`.
    cgroup_bytes: int | None = None

    def memory_cgroup_bytes(self) -> int:
        if self.cgroup_bytes is not None:
            return self.cgroup_bytes
        tmpfs_mib = sum(PRIVATE_TMP.values()) + (self.working_folder_mib or 0)
        return self.memory_bytes + tmpfs_mib * 1024**2 + CGROUP_MARGIN


#: Room above the address-space and tmpfs sizes in a jail's memory cgroup: page cache of the files
#: it reads, page tables, the kernel's own structures for its processes, sockets and pipes.
CGROUP_MARGIN = 256 * 1024**2


def slot_uid(slot: int) -> int:
    return BASE_UID + int(slot)


#: Slots of local grading runs (``--jobs``); Dask workers take theirs from 500 up (see .cluster).
LOCAL_SLOTS = range(0, 500)


def claim_slot(slots: range = LOCAL_SLOTS):
    """``(slot, token)``: the first slot of ``slots`` that no other process on this machine holds,
    held while ``token`` (a socket bound to an abstract Unix address named after the slot) stays
    open, and released when it is closed or its process dies, even by SIGKILL.

    A slot's uids are killed wholesale between submissions (:func:`kill_uid`): two grading runs
    on one machine (two assignments, two instructors) must never share one, or each would kill
    the other's kernels. Abstract addresses leave no file behind (the host's /tmp stays as it
    was), and jailed processes, in network namespaces of their own, cannot take them.
    """
    import socket

    for slot in slots:
        token = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            token.bind(f"\0nncourse-grading-slot-{os.geteuid()}-{slot}")
        except OSError:  # EADDRINUSE: held by another grading process
            token.close()
            continue
        return slot, token
    raise RuntimeError(f"all grading slots {slots.start}-{slots.stop - 1} of this machine are taken")


_LIBC = None


def _libc():
    """The C library, loaded once. Never through ``ctypes.util.find_library`` after an unshare: it
    starts a subprocess, which would become (and, exiting, kill) the new PID namespace's init."""
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return _LIBC


def _check(res: int, what: str) -> None:
    if res != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc().unshare(flags), "unshare")


def _prctl(option: int, arg2: int = 0) -> None:
    libc = _libc()
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _check(libc.prctl(option, arg2, 0, 0, 0), f"prctl({option})")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    libc = _libc()
    res = libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None,
        ctypes.c_ulong(flags), data.encode() if data else None,
    )
    if res != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _hide(paths) -> None:
    for p in paths:
        if os.path.isdir(p):
            _mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
        elif os.path.isfile(p):
            _mount("/dev/null", p, None, MS_BIND)  # the file reads as empty


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _bind_back(kept: list[tuple[str, int]]) -> None:
    """Bind each ``(path, O_PATH descriptor)`` back at ``path`` (its folder was just covered).

    The descriptors were opened before the cover: binding from ``/proc/self/fd/N`` needs no
    staging folder on the host, so nothing is left behind there."""
    for path, fd in kept:
        os.makedirs(path, mode=0o711, exist_ok=True)  # root-owned steps: the jailed uid adds nothing
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)


def _open_paths(paths) -> list[tuple[str, int]]:
    out = []
    for p in sorted({os.path.realpath(p) for p in paths}):
        if os.path.isdir(p):
            out.append((p, os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)))
    return out


def _private_tmp(keep, uid: int | None) -> str:
    """Cover every folder of :data:`PRIVATE_TMP` with an empty tmpfs, bind ``keep`` (the folders
    under them that the process needs) back, and make :data:`PRIVATE_HOME`; return HOME."""
    kept = _open_paths(p for p in keep if any(_under(os.path.realpath(p), f) for f in PRIVATE_TMP))
    try:
        for folder, mib in PRIVATE_TMP.items():
            if not os.path.isdir(folder) or os.path.islink(folder):
                continue
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={mib}m,nr_inodes={max(256, 1024 * mib)},mode=1777")
            _bind_back([(p, fd) for p, fd in kept if _under(p, folder)])
    finally:
        for _p, fd in kept:
            os.close(fd)
    os.makedirs(PRIVATE_HOME, mode=0o700, exist_ok=True)
    if uid is not None:
        os.chown(PRIVATE_HOME, uid, uid)
    return PRIVATE_HOME


def _expose(path: str) -> None:
    """Make ``path`` reachable for an unprivileged uid inside our mount namespace when one of its
    ancestors is closed to others (e.g. Python installed under ``/root`` with mode 700): cover that
    ancestor with an open tmpfs and bind ``path`` back into it. Everything else there stays hidden."""
    path = os.path.realpath(path)
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if os.stat(ancestor).st_mode & 0o001:
            continue
        kept = _open_paths([path])
        try:
            _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
            _bind_back(kept)
        finally:
            for _p, fd in kept:
                os.close(fd)
        return


def _confine_mounts(keep, hide, uid: int | None, cwd: str, expose) -> str:
    """Just after ``unshare(CLONE_NEWNS | ...)``, in both branches of :func:`enter_jail`: make every
    mount private (nothing mounted here reaches the host), cover the shared folders with a private
    tmpfs (:func:`_private_tmp`, keeping ``keep``), hide ``hide``, open the way to each ``expose``
    folder for an unprivileged uid, and return to ``cwd`` (its mount changed under us); returns HOME."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    home = _private_tmp(keep, uid)
    _hide(hide)
    for needed in expose:
        _expose(needed)
    os.chdir(cwd)
    return home


#: Where the writes of a bounded working folder go, in the private /tmp (closed to the jailed uid).
WORK_LAYER = "/tmp/.nncourse-work"


def _bound_working_folder(cwd: str, mib: int) -> None:
    """Lay an overlay over ``cwd`` whose upper layer is a tmpfs of ``mib`` MiB: the process sees
    the folder's files, and whatever it writes or changes there stays in that tmpfs (RAM, bounded,
    gone with the mount namespace). The upper layer takes ``cwd``'s owner and mode."""
    if any(c in cwd for c in ",:\\"):  # the overlay's options cannot hold these
        raise OSError(_errno.EINVAL, f"no overlay over {cwd!r}")
    st = os.stat(cwd)
    os.makedirs(WORK_LAYER, mode=0o700, exist_ok=True)
    _mount("tmpfs", WORK_LAYER, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={mib}m,nr_inodes={max(256, 1024 * mib)},mode=700")
    upper, work = f"{WORK_LAYER}/upper", f"{WORK_LAYER}/work"
    os.mkdir(upper)
    os.mkdir(work)
    os.chown(upper, st.st_uid, st.st_gid)
    os.chmod(upper, stat.S_IMODE(st.st_mode))
    _mount("overlay", cwd, "overlay", MS_NOSUID | MS_NODEV, f"lowerdir={cwd},upperdir={upper},workdir={work}")
    os.chdir(cwd)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _limits(limits: Limits) -> None:
    def cap(which, value):
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, limits.cpu_seconds)
    cap(resource.RLIMIT_AS, limits.memory_bytes)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NPROC, limits.processes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_CORE, 0)


# --- the PID namespace ---------------------------------------------------------------------------

def _fork_blocked() -> tuple[int, set]:
    """``os.fork()`` with the forwarded signals blocked (the child must unblock them)."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS)
    return os.fork(), mask


def _wait_exit_code(pid: int) -> int:
    """Wait for ``pid`` and return its exit code (128 + N if signal N killed it)."""
    while True:
        try:
            _pid, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            return 1
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def _supervise(child: int, mask, memory_cgroup: str | None = None) -> None:
    """The original process, outside the namespaces: pass signals on to the namespace's process
    group and leave with its exit code, removing the jail's memory cgroup (its folder) once the
    namespace has ended. Runs trusted code only, and never returns."""
    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, lambda s, _f: _killpg_quiet(child, s))
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    code = _wait_exit_code(child)
    if memory_cgroup:
        cgroup.remove_at(memory_cgroup)
    os._exit(code)


def _killpg_quiet(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _init(child: int, mask) -> None:
    """PID 1 of the namespace: reap every orphan, leave with PID 2's exit code. Signals reach
    PID 2 through the process group (PID 1 only has to catch them: an init without a handler
    drops them). When PID 1 ends, the kernel kills whatever is left in the namespace."""
    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, lambda s, _f: None)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    code = 1
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            code = code if code >= 0 else 128 - code
            break
    os._exit(code)


def _enter_pid_namespace(uid: int | None, memory_cgroup: str | None = None) -> bool:
    """Called after ``unshare(CLONE_NEWPID)``: fork PID 1 (with a fresh ``/proc``, in
    ``memory_cgroup`` if given) and PID 2; returns in PID 2 only, ``True`` if ``/proc`` shows the
    namespace alone."""
    saved = {sig: signal.getsignal(sig) for sig in FORWARDED_SIGNALS}
    pid, mask = _fork_blocked()
    if pid:
        _supervise(pid, mask, memory_cgroup)
    try:  # PID 1, still privileged
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # (getppid() is 0 here: no race check possible)
        os.setpgid(0, 0)  # the supervisor signals this group: PID 1 and PID 2
        proc_ok = True
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            proc_ok = False
        if memory_cgroup:  # before PID 2 exists: everything in the namespace is born in it
            try:
                cgroup.join(memory_cgroup)
            except OSError as exc:
                print(f"jail: not in memory cgroup {memory_cgroup} ({exc})", file=sys.stderr, flush=True)
                REACHED["memory_cgroup"] = False
        pid = os.fork()
        if pid:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of uid cleared it
            try:
                _prctl(PR_SET_NO_NEW_PRIVS, 1)
                install_seccomp()
            except OSError:
                pass
            _init(pid, mask)
    except BaseException:
        os._exit(1)
    # PID 2: the jailed process itself
    for sig, handler in saved.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return proc_ok


# --- the syscall filter --------------------------------------------------------------------------

#: x86_64 system calls refused with EPERM (grading never needs them; each is kernel attack surface).
DENIED_SYSCALLS = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "unshare": 272, "setns": 308, "bpf": 321,
    "keyctl": 250, "add_key": 248, "request_key": 249, "perf_event_open": 298,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "personality": 135, "userfaultfd": 323, "open_by_handle_at": 304,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "swapon": 167, "swapoff": 168, "reboot": 169, "acct": 163,
    # memory that RLIMIT_AS does not count (a memfd's or a SysV segment's pages stay after munmap
    # or shmdt; 256 descriptors of 16 MiB memfds are 4 GiB): refused, so what a jailed process
    # holds outside its address space is its private tmpfs folders, bounded by PRIVATE_TMP
    "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "shmat": 30, "msgget": 68,
}
_NR_CLONE, _NR_CLONE3 = 56, 435
#: clone() flags that create namespaces: refused (unshare's twin); clone3 answers ENOSYS, so that
#: the C library falls back to clone(), whose flags a filter can read.
_CLONE_NS_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET)
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000

_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|..|K, BPF_RET|K


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program() -> list[tuple[int, int, int, int]]:
    """The filter as ``(code, jt, jf, k)`` BPF instructions, for x86_64.

    System calls of another ABI (i386 through ``int 0x80``, x32) are refused outright: their
    numbers mean other calls, and a filter that only knows x86_64 numbers must not judge them."""
    deny, enosys, allow = "deny", "enosys", "allow"
    prog: list = [
        (_LD_ABS, 0, 0, 4),                       # the architecture
        (_JEQ, 1, 0, _AUDIT_ARCH_X86_64),
        (_RET, 0, 0, _RET_ERRNO | _errno.EPERM),  # another ABI: refused
        (_LD_ABS, 0, 0, 0),                       # the system call number
        (_JGE, deny, 0, _X32_SYSCALL_BIT),
    ]
    for nr in sorted(DENIED_SYSCALLS.values()):
        prog.append((_JEQ, deny, 0, nr))
    prog.append((_JEQ, enosys, 0, _NR_CLONE3))
    prog.append((_JEQ, 0, allow, _NR_CLONE))
    prog.append((_LD_ABS, 0, 0, 16))             # clone's flags (low 32 bits of the first argument)
    prog.append((_JSET, deny, allow, _CLONE_NS_FLAGS))
    targets = {allow: len(prog), deny: len(prog) + 1, enosys: len(prog) + 2}
    prog += [(_RET, 0, 0, _RET_ALLOW), (_RET, 0, 0, _RET_ERRNO | _errno.EPERM),
             (_RET, 0, 0, _RET_ERRNO | _errno.ENOSYS)]
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = targets[jt] - i - 1 if isinstance(jt, str) else jt
        jf = targets[jf] - i - 1 if isinstance(jf, str) else jf
        out.append((code, jt, jf, k))
    return out


def install_seccomp() -> bool:
    """Install the filter of :func:`seccomp_program` on this process (inherited by every thread
    and child it starts later; it cannot be removed). Needs ``no_new_privs`` or root.

    Returns ``False``, and says so on stderr, on a machine that is not x86_64: the filter's
    numbers would mean other system calls there, and a wrong filter is worse than none."""
    if platform.machine() != "x86_64" or struct.calcsize("P") != 8 or not sys.platform.startswith("linux"):
        print(f"jail: no seccomp filter on {platform.machine()} ({sys.platform}): the filter knows "
              "x86_64 system call numbers only", file=sys.stderr, flush=True)
        return False
    prog = seccomp_program()
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), filters)
    libc = _libc()
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    _check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0),
           "prctl(PR_SET_SECCOMP)")
    return True


# --- the whole jail ------------------------------------------------------------------------------

#: What the last :func:`enter_jail` of this process reached, beyond its level (for reports and tests).
REACHED: dict = {}


def enter_jail(hide=(), uid: int | None = None, network: bool = False, limits: Limits = Limits(),
               writable=(), expose=(), keep=(), pid_namespace: bool = True) -> str:
    """Confine the current (single-threaded, freshly started) process; return the level reached:
    ``"namespaces"``, ``"user-namespace"`` or ``"limits-only"`` (details in :data:`REACHED`).

    ``writable`` paths are handed to ``uid`` before the privileges are dropped; ``expose`` lists
    folders (besides Python's own) that the unprivileged uid must be able to reach; ``keep`` lists
    folders under ``/tmp`` (or another private folder of :data:`PRIVATE_TMP`) that stay visible at
    their own path (the working folder and Python's are always kept). With ``pid_namespace`` the
    caller returns from here as PID 2 of a new PID namespace (see the module's docstring); its
    original process never returns.
    """
    REACHED.clear()
    level = "limits-only"
    home = "."  # the working folder, reached through the current directory
    cwd = os.getcwd()
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    keep = [cwd, sys.prefix, sys.base_prefix, package, *expose, *keep]
    flags = CLONE_NEWNS | CLONE_NEWIPC | (0 if network else CLONE_NEWNET)
    flags |= CLONE_NEWPID if pid_namespace else 0
    unshared = False
    memory_cgroup = None
    REACHED["memory_cgroup"] = False
    if os.geteuid() == 0 and uid is not None:  # made by this (trusted) process, joined by the jail
        memory_cgroup = cgroup.prepare(uid, limits.memory_cgroup_bytes())
        REACHED["memory_cgroup"] = memory_cgroup is not None
        if memory_cgroup is None:
            print(f"jail: kernel memory unbounded: {cgroup.LAST_ERROR[0]}", file=sys.stderr, flush=True)
    if os.geteuid() == 0:
        try:
            _unshare(flags)
            unshared = True
            home = _confine_mounts(keep, hide, uid, cwd,
                                   {sys.base_prefix, sys.prefix, package, *expose} if uid is not None else ())
            level = "namespaces"
        except OSError as exc:
            print(f"jail: namespaces incomplete ({exc}); resource limits only", file=sys.stderr)
            level = "limits-only"
        if uid is not None:
            for w in writable:
                for dirpath, dirnames, filenames in os.walk(w):
                    for name in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
                        os.chown(name, uid, uid)
        if limits.working_folder_mib and level == "namespaces":
            try:
                _bound_working_folder(cwd, limits.working_folder_mib)
                REACHED["bounded_working_folder"] = True
            except OSError as exc:
                print(f"jail: working folder not bounded ({exc})", file=sys.stderr)
                REACHED["bounded_working_folder"] = False
    else:
        real_uid, real_gid = os.getuid(), os.getgid()
        try:
            _unshare(CLONE_NEWUSER | flags)
            unshared = True
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {real_uid} 1")
            _write("/proc/self/gid_map", f"0 {real_gid} 1")
            home = _confine_mounts(keep, hide, None, cwd, ())
            level = "user-namespace"
        except OSError as exc:
            print(f"jail: no user namespace ({exc}); resource limits only", file=sys.stderr)
            level = "limits-only"
    REACHED["private_tmp"] = home != "."
    REACHED["pid_namespace"] = False
    if unshared and pid_namespace:
        REACHED["pid_namespace"] = _enter_pid_namespace(uid if os.geteuid() == 0 else None, memory_cgroup)
    elif memory_cgroup:  # no supervisor outside: the reapers (kill_uid's callers) remove it
        try:
            cgroup.join(memory_cgroup)
        except OSError as exc:
            print(f"jail: not in memory cgroup {memory_cgroup} ({exc})", file=sys.stderr, flush=True)
            REACHED["memory_cgroup"] = False
    if os.geteuid() == 0 and uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _limits(limits)
    os.environ["HOME"] = home
    os.environ["TMPDIR"] = "/tmp" if home != "." else os.environ.get("TMPDIR", "/tmp")
    try:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        REACHED["no_new_privs"] = True
        REACHED["seccomp"] = install_seccomp()
    except OSError as exc:
        print(f"jail: no syscall filter ({exc})", file=sys.stderr)
        REACHED.setdefault("no_new_privs", False)
        REACHED["seccomp"] = False
    return level


def kill_uid(uid: int) -> int:
    """SIGKILL every process owned by ``uid`` (leftovers of a sandbox); returns how many."""
    killed = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return killed
