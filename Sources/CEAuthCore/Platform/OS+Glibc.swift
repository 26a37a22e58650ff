#if canImport(Glibc)
@preconcurrency import Glibc
import CSystem

/// The one place that calls the C library on Linux (glibc): each function one system call (or
/// the few lines that fill its C structures), with Swift types, every return code handed back
/// to the caller. The loops, locks' users and threads' bodies are in OS.swift, which a port to
/// another platform (Darwin: `import Darwin`, `SOCK_STREAM` without `.rawValue`) keeps as it
/// is, adding a file like this one.
extension OS {
    // MARK: errno

    struct Errno: Error { var code: Int32 }

    public static var lastError: Int32 { errno }

    public static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    public enum Code {
        public static let addressInUse = EADDRINUSE
        public static let addressNotAvailable = EADDRNOTAVAIL
        public static let familyNotSupported = EAFNOSUPPORT
        public static let invalidArgument = EINVAL
        public static let noSuchFile = ENOENT
        public static let notADirectory = ENOTDIR
        public static let isADirectory = EISDIR
        public static let tooManyLinks = ELOOP
        static let interrupted = EINTR
        static let wouldBlock = EWOULDBLOCK
        static let tryAgain = EAGAIN
        static let connectionAborted = ECONNABORTED
        static let connectionReset = ECONNRESET
        /// Running out of descriptors or buffers: a reason to skip a round, not to fail.
        static let outOfResources: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]
    }

    // MARK: sockets

    /// A new TCP socket, closed on exec (not inherited by the browser process ceauth starts).
    static func streamSocket(ipv6: Bool) -> Int32 {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }

    static func enable(_ option: SocketOption, on fd: Int32) -> Bool {
        var yes: Int32 = 1
        let (level, name) = option == .ipv6Only ? (Int32(IPPROTO_IPV6), IPV6_V6ONLY) : (SOL_SOCKET, SO_REUSEADDR)
        return setsockopt(fd, level, name, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    static func setTimeout(_ fd: Int32, sending: Bool, seconds: Int) -> Bool {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        return setsockopt(fd, SOL_SOCKET, sending ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0
    }

    static func setNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
    }

    /// bind(2) or connect(2) to a numeric IPv4 or IPv6 host; false with errno set on failure,
    /// EINVAL for a host that is not a numeric address.
    static func bind(_ fd: Int32, host: String, port: UInt16) -> Bool {
        withAddress(host: host, port: port) { Glibc.bind(fd, $0, $1) } == 0
    }

    static func connect(_ fd: Int32, host: String, port: UInt16) -> Bool {
        withAddress(host: host, port: port) { Glibc.connect(fd, $0, $1) } == 0
    }

    static func listen(_ fd: Int32, backlog: Int32) -> Bool { Glibc.listen(fd, backlog) == 0 }

    private static func withAddress(host: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { errno = EINVAL; return -1 }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { errno = EINVAL; return -1 }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// The port a socket is bound to, or nil with errno set.
    static func localPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// accept(2); the new descriptor is closed on exec.
    static func accept(_ fd: Int32) -> Int32 {
        let client = Glibc.accept(fd, nil, nil)
        if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
        return client
    }

    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, blocking: Bool) -> Int {
        recv(fd, buffer.baseAddress, buffer.count, blocking ? 0 : Int32(MSG_DONTWAIT))
    }

    /// MSG_NOSIGNAL: a peer that went away gives an error instead of killing the process with SIGPIPE.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    }

    static func shutdownWrite(_ fd: Int32) { _ = shutdown(fd, Int32(SHUT_WR)) }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    // MARK: poll and pipes

    /// poll(2) for readability; which of `fds` are ready (any event, hang-ups included), or nil
    /// with errno set. An empty result means the timeout passed.
    public static func waitReadable(_ fds: [Int32], timeoutMilliseconds: Int32) -> [Bool]? {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&entries, nfds_t(entries.count), timeoutMilliseconds)
        guard ready >= 0 else { return nil }
        return entries.map { $0.revents != 0 }
    }

    /// A pipe whose ends do not block and are closed on exec.
    static func makePipe() -> (read: Int32, write: Int32)? {
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else { return nil }
        for fd in pair {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = setNonBlocking(fd)
        }
        return (pair[0], pair[1])
    }

    /// One byte to a pipe; safe from a signal handler's thread.
    static func poke(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = Glibc.write(fd, &byte, 1)
    }

    // MARK: time

    /// Monotonic seconds, for deadlines that wall-clock changes cannot move.
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// nanosleep(2) once: the seconds still to sleep when a signal interrupted it, else nil.
    static func sleepOnce(_ seconds: Double) -> Double? {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        guard nanosleep(&request, &remaining) != 0, errno == EINTR else { return nil }
        return Double(remaining.tv_sec) + Double(remaining.tv_nsec) / 1e9
    }

    // MARK: files

    /// What lstat(2) says of a path: nil when nothing is there (or a file stands where a folder
    /// on the way should be), an errno when it cannot be looked at.
    static func facts(_ path: String) -> Result<FileFacts?, Errno> {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .success(nil) : .failure(Errno(code: errno))
        }
        return .success(facts(info))
    }

    /// What stat(2) says of a path, following links (the folder a file is reached through).
    static func followedFacts(_ path: String) -> FileFacts? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return facts(info)
    }

    /// Where a symbolic link points (as written in it), or nil.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, 4096)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// fstat(2)'s size of a regular file; nil for anything else (a pipe has none).
    static func regularFileSize(_ fd: Int32) -> Int? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// The kind of the file an open descriptor refers to.
    static func kind(_ fd: Int32) -> FileFacts.Kind? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return facts(info).kind
    }

    private static func facts(_ info: stat) -> FileFacts {
        let kind: FileFacts.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        return FileFacts(kind: kind, owner: UInt32(info.st_uid), mode: UInt32(info.st_mode & 0o7777))
    }

    /// Whether the path exists and is a folder (following links, as the kernel does for paths).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether this user may create and remove entries in the folder.
    static func canWriteInto(_ folder: String) -> Bool { access(folder, W_OK | X_OK) == 0 }

    /// open(2), closed on exec; a link at `path` is never followed (ELOOP) except for folders.
    static func open(_ path: String, _ mode: OpenMode) -> Int32 {
        switch mode {
        case .read: return Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        case .readWrite(nil): return Glibc.open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        case .readWrite(let create?): return Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode_t(create))
        case .directory: return Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
    }

    /// Asks the kernel to back the whole pages of `buffer` now, in one call (MADV_POPULATE_WRITE,
    /// Linux 5.14): a large buffer is then not filled one page fault at a time, each a trap that
    /// costs microseconds, in a virtual machine more. Only a hint: an older kernel says no.
    public static func prefault(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let start = buffer.baseAddress, buffer.count >= 1 << 18 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page, end = (Int(bitPattern: start) + buffer.count) / page * page
        guard end > first else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, 23 /* MADV_POPULATE_WRITE */)
    }

    /// read(2) once into `buffer`: the byte count, 0 at the end, -1 with errno set.
    static func readOnce(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        Glibc.read(fd, buffer.baseAddress, buffer.count)
    }

    /// write(2) once: the byte count written, -1 with errno set.
    static func writeOnce(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        Glibc.write(fd, bytes.baseAddress, bytes.count)
    }

    static func sync(_ fd: Int32) -> Bool { fsync(fd) == 0 }

    static func setMode(_ fd: Int32, _ mode: UInt32) -> Bool { fchmod(fd, mode_t(mode)) == 0 }

    static func setMode(_ path: String, _ mode: UInt32) -> Bool { chmod(path, mode_t(mode)) == 0 }

    static func rename(_ from: String, _ to: String) -> Bool { Glibc.rename(from, to) == 0 }

    static func remove(_ path: String) { _ = unlink(path) }

    static func makeDirectory(_ path: String, mode: UInt32) -> Bool { mkdir(path, mode_t(mode)) == 0 || errno == EEXIST }

    /// A new file `<prefix>XXXXXX` made by mkstemp(3): its descriptor and path, or nil with errno set.
    static func makeTemporaryFile(prefix: String) -> (fd: Int32, path: String)? {
        var template = Array((prefix + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (fd, String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The names in a folder (without . and ..), or nil when it cannot be read.
    static func names(in folder: String) -> [String]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// flock(2) without waiting: true when this process now holds the exclusive lock; false
    /// with errno EWOULDBLOCK when another holds it.
    static func tryLock(_ fd: Int32) -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }

    static func unlock(_ fd: Int32) { _ = flock(fd, LOCK_UN) }

    static func lockIsBusy(_ code: Int32) -> Bool { code == EWOULDBLOCK || code == EINTR }

    public static var effectiveUserID: UInt32 { UInt32(geteuid()) }

    // MARK: processes and signals

    /// Starts `executable` with `arguments`, its standard streams on /dev/null, without a
    /// shell; nil when it could not be started.
    static func spawn(_ executable: String, arguments: [String], environment: [String: String]) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        return spawn(executable, arguments: arguments, environment: environment, actions: &actions)
    }

    /// posix_spawn with C copies of the argument vector and environment, freed after.
    private static func spawn(_ executable: String, arguments: [String], environment: [String: String],
                              actions: inout posix_spawn_file_actions_t, attributes: UnsafePointer<posix_spawnattr_t>? = nil) -> Int32? {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        return posix_spawn(&pid, executable, &actions, attributes, argv, envp) == 0 ? pid : nil
    }

    /// Starts `executable` without a shell, stdin on /dev/null, its stdout and stderr on pipes
    /// whose read ends are returned (not blocking), in a process group of its own with the
    /// default signal actions (so `killGroup` reaches whatever it starts); nil when it could not
    /// be started.
    static func spawnCapturing(_ executable: String, arguments: [String], environment: [String: String])
        -> (pid: Int32, output: Int32, errors: Int32)? {
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        // pipe2 is not visible to Swift; the settings run before any other process is started.
        guard pipe(&output) == 0 else { return nil }
        guard pipe(&errors) == 0 else { close(output[0]); close(output[1]); return nil }
        for fd in output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in interruptSignals + [SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        let pid = spawn(executable, arguments: arguments, environment: environment, actions: &actions, attributes: &attributes)
        close(output[1])
        close(errors[1])
        guard let pid else {
            close(output[0])
            close(errors[0])
            return nil
        }
        _ = setNonBlocking(output[0])
        _ = setNonBlocking(errors[0])
        return (pid, output[0], errors[0])
    }

    static func kill(_ pid: Int32) { _ = Glibc.kill(pid, SIGKILL) }

    /// SIGKILL to the whole process group `pid` leads (a child started by `spawnCapturing`).
    static func killGroup(_ pid: Int32) { _ = Glibc.kill(-pid, SIGKILL) }

    /// waitpid(2) without waiting; a finished child is reaped.
    static func state(of pid: Int32) -> ProcessState {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 { return .running }
        if result < 0 { return .exited(status: -1) }
        if status & 0x7F == 0 { return .exited(status: (status >> 8) & 0xFF) }
        return .killed(signal: status & 0x7F)
    }

    /// The signals that mean "stop": from a terminal (Ctrl-C), a supervisor, or a terminal that
    /// went away (SIGHUP: the SSH session dropped), all handled alike.
    public static let interruptSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Ignores the signal's default action, so a dispatch source can handle it instead.
    public static func ignore(_ signalNumber: Int32) { _ = signal(signalNumber, SIG_IGN) }

    /// What ceauth does first: it holds secrets, so no core file may be written (RLIMIT_CORE 0,
    /// and not dumpable, which also covers a core_pattern pipe); and a reader that went away
    /// (a closed terminal or pipe) must give EPIPE on write rather than end the process with
    /// SIGPIPE before an instance is saved. False when a step failed.
    /// The stop signals are unblocked too: a launcher may hand down a mask that blocks them
    /// (util-linux `script` started from a thread pool does), and Ctrl-C or a hang-up would
    /// then never reach ceauth's handlers.
    @discardableResult
    public static func hardenProcess() -> Bool {
        _ = signal(SIGPIPE, SIG_IGN)
        var stops = sigset_t()
        sigemptyset(&stops)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stops, number) }
        _ = pthread_sigmask(SIG_UNBLOCK, &stops, nil)
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        let limited = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0
        return ceauth_set_not_dumpable() == 0 && limited
    }

    /// Ends the process now, without the exit handlers (which would tear OpenSSL down under a
    /// request still running on another thread).
    public static func exitNow(_ code: Int32) -> Never { _exit(code) }

    /// True when `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Turns the terminal's echo of typed characters off (or back on); false when `fd` is no terminal.
    public static func setEcho(_ fd: Int32, _ on: Bool) -> Bool {
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else { return false }
        if on { settings.c_lflag |= tcflag_t(ECHO) } else { settings.c_lflag &= ~tcflag_t(ECHO) }
        return tcsetattr(fd, TCSANOW, &settings) == 0
    }

    /// Whether the file at `path` is an executable file for this user.
    static func isExecutable(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// The kernel's description of the system (`/proc/version` on Linux), for WSL detection.
    static func kernelDescription() -> String? {
        let fd = Glibc.open("/proc/version", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        return readAll(fd).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: threads

    /// pthread_create(3) of a detached thread that runs `entry(context)`; false when none started.
    static func createDetachedThread(_ context: UnsafeMutableRawPointer,
                                     _ entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) -> Bool {
        var thread = pthread_t()
        guard pthread_create(&thread, nil, entry, context) == 0 else { return false }
        pthread_detach(thread)
        return true
    }

    /// A thread that can be waited for.
    struct JoinableThread {
        fileprivate var thread: pthread_t
    }

    /// pthread_create(3) of a joinable thread that runs `entry(context)`; nil when none started.
    static func createJoinableThread(_ context: UnsafeMutableRawPointer,
                                     _ entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) -> JoinableThread? {
        var thread = pthread_t()
        guard pthread_create(&thread, nil, entry, context) == 0 else { return nil }
        return JoinableThread(thread: thread)
    }

    /// pthread_join(3): waits until the thread has ended.
    static func join(_ thread: JoinableThread) { pthread_join(thread.thread, nil) }

    /// A mutual-exclusion lock (pthread mutex), for state that threads share (see `Locked`).
    public final class Lock: @unchecked Sendable {
        private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        public init() { pthread_mutex_init(mutex, nil) }
        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }
        public func withLock<R>(_ body: () throws -> R) rethrows -> R {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body()
        }
    }

    public static let isMacOS = false
}

#endif
