/// The operating system as ceauth uses it. This file is portable: the loops over partial reads
/// and writes and interrupted sleeps, threads' bodies, `Locked`, and the types the calls take.
/// The calls themselves, one system call each, are in the platform's file (OS+Glibc.swift on
/// Linux); nothing outside Platform/ calls the C library.
public enum OS {
    enum SocketOption { case reuseAddress, ipv6Only }

    public enum OpenMode {
        case read
        /// Read and write, never through a link; `create` makes it (this mode) if missing.
        case readWrite(create: UInt32?)
        case directory
    }

    public enum ProcessState: Equatable {
        case running
        case exited(status: Int32)
        case killed(signal: Int32)
    }

    public enum StandardStream: Int32 { case input = 0, output = 1, error = 2 }

    /// Sleeps the whole time, a signal or not.
    public static func sleep(seconds: Double) {
        var left = seconds
        while let remaining = sleepOnce(left) { left = remaining }
    }

    /// The whole file, or nil with errno set.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        // Straight into the result: for a regular file one buffer of its size (and a byte to see
        // the end), otherwise grown by doubling; a keyfile of megabytes is not copied per 64 KiB.
        var length = 0
        var capacity = Swift.max((regularFileSize(fd) ?? 0) + 1, 4096)
        while true {
            if length == data.count {
                capacity = Swift.max(capacity, data.count * 2)
                // Bytes the read overwrites: not zeroed first (2.6 MB of a large keyfile).
                let more = [UInt8](unsafeUninitializedCapacity: capacity - data.count) { _, count in count = capacity - data.count }
                if data.isEmpty { data = more } else { data += more }
            }
            let count = data.withUnsafeMutableBytes { bytes in
                let rest = UnsafeMutableRawBufferPointer(rebasing: bytes[length...])
                prefault(rest)
                return readOnce(fd, into: rest)
            }
            if count == 0 {
                data.removeSubrange(length...)
                return data
            }
            if count < 0 {
                if lastError == Code.interrupted { continue }
                return nil
            }
            length += count
        }
    }

    /// What one read gives: bytes, [] at the end, nil on an error (EAGAIN on a descriptor that
    /// does not block: nothing to read now). A read a signal interrupted is made again.
    static func readSome(_ fd: Int32, max: Int = 65536) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let count = buffer.withUnsafeMutableBytes { readOnce(fd, into: $0) }
            if count >= 0 { return Array(buffer[..<count]) }
            if lastError != Code.interrupted { return nil }
        }
    }

    /// All of `bytes`, or false with errno set.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = writeOnce(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            if written < 0 {
                if lastError == Code.interrupted { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Writes all of `text` to stdout or stderr (unbuffered: each call is one write as far as
    /// it goes), from the string's own bytes (a listing of a megabyte is not copied first).
    public static func write(_ text: String, to stream: StandardStream) {
        var text = text
        _ = text.withUTF8 { writeAll(stream.rawValue, UnsafeRawBufferPointer($0)) }
    }

    /// Runs `body` on a new detached thread of its own: for servers whose handlers block (a
    /// hung answer must not starve a shared pool). Returns false when no thread could start.
    @discardableResult
    public static func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let started = createDetachedThread(context) { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }
        if !started { Unmanaged<ThreadBody>.fromOpaque(context).release() }
        return started
    }
}

extension OS {
    /// Runs `body` on a new thread that `join` waits for; nil when none could start.
    static func startJoinableThread(_ body: @escaping @Sendable () -> Void) -> JoinableThread? {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let thread = createJoinableThread(context) { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }
        if thread == nil { Unmanaged<ThreadBody>.fromOpaque(context).release() }
        return thread
    }
}

/// A value shared by threads, behind an `OS.Lock`: the redactor's learned secrets, the emulators' state.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = OS.Lock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func with<R>(_ body: (inout Value) -> R) -> R {
        lock.withLock { body(&value) }
    }
    public var current: Value { with { $0 } }
}

/// What a new thread runs, carried through the thread call's context pointer.
private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
