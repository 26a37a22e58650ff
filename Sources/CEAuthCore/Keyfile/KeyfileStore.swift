import Foundation
import Glibc

/// Writes the keyfile safely: under an exclusive lock (two runs at once lose nothing), through
/// a temporary file in the same folder that is fsynced and renamed over the old one (a crash
/// leaves the old file whole), with mode 0600 in a 0700 folder.
public struct KeyfileStore: Sendable {
    public var path: String
    public var lockTimeoutSeconds: Double

    public init(path: String, lockTimeoutSeconds: Double = 30) {
        self.path = path
        self.lockTimeoutSeconds = lockTimeoutSeconds
    }

    /// The folder that holds the keyfile.
    private var directory: String { Self.parent(of: path) }

    public struct SaveReport: Sendable, Equatable {
        /// Things the user should know, e.g. the old file was readable by others.
        public var warnings: [String]
    }

    private var lockPath: String { path + ".lock" }

    /// Checks, before any code is spent, that saving can work and is safe: an existing keyfile
    /// is a regular file of ours (not a link) that parses, the folder is ours or a sticky one
    /// (a folder of ours open to others is narrowed to 0700), an existing lock file is a regular
    /// file ceauth can open for writing, and the folder (or the nearest one that exists) is writable.
    /// Returns warnings to show (e.g. a folder that was narrowed).
    @discardableResult
    public func preflight() throws(KeyfileError) -> [String] {
        let user = UInt32(geteuid())
        var keyfileOwner: UInt32?
        if let keyfile = try facts(path) {
            if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: user) { throw problem }
            keyfileOwner = keyfile.owner
            _ = try KeyfileDocument.merge(existing: try read(path), entry: Self.probeEntry, path: path)
        }
        guard let folder = try facts(directory) else {
            // ceauth will create the folder (0700) under the nearest one that exists.
            var ancestor = directory
            while access(ancestor, F_OK) != 0 && ancestor != "/" && ancestor != "." {
                ancestor = Self.parent(of: ancestor)
            }
            var info = stat()
            guard stat(ancestor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw .io(path: ancestor, operation: "create the keyfile under", reason: "it is not a folder")
            }
            guard access(ancestor, W_OK | X_OK) == 0 else { throw ioError("write into the folder", ancestor) }
            return []
        }
        let warnings = try secure(folder, keyfileOwner: keyfileOwner, user: user)
        guard access(directory, W_OK | X_OK) == 0 else { throw ioError("write into the folder", directory) }
        if let lock = try facts(lockPath) {
            if let problem = KeyfilePlace.lock(lock, path: lockPath) { throw problem }
            let fd = open(lockPath, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw unusableLock() }
            Glibc.close(fd)
        }
        return warnings
    }

    private static let probeEntry = KeyfileEntry(name: "", id: 0, token: Secret(""), element: "", baseURL: "", created: "")

    @discardableResult
    public func save(_ entry: KeyfileEntry) throws(KeyfileError) -> SaveReport {
        let user = UInt32(geteuid())
        try makeDirectory(directory)
        guard let folder = try facts(directory) else { throw ioError("inspect", directory) }
        var warnings = try secure(folder, keyfileOwner: try facts(path)?.owner, user: user)

        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lockFD >= 0 else { throw unusableLock() }
        defer { Glibc.close(lockFD) }
        var lockInfo = stat()
        guard fstat(lockFD, &lockInfo) == 0, (lockInfo.st_mode & S_IFMT) == S_IFREG else {
            throw .unusableLock(path: lockPath, reason: "is not a regular file")
        }
        try lock(lockFD)
        defer { _ = flock(lockFD, LOCK_UN) }

        var existing: Data?
        if let keyfile = try facts(path) {
            if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: user) { throw problem }
            if keyfile.mode & 0o077 != 0 {
                warnings.append("the keyfile \(path) was readable by others (mode \(KeyfilePlace.octal(keyfile.mode & 0o777))); it is now 0600")
            }
            existing = try read(path)
        }

        let data = try KeyfileDocument.merge(existing: existing, entry: entry, path: path)
        removeStaleTemporaryFiles()
        try writeAtomically(data, directory: directory)
        return SaveReport(warnings: warnings)
    }

    /// Acts on the folder verdict: narrows a folder of ours, refuses an unsafe one.
    private func secure(_ folder: FileFacts, keyfileOwner: UInt32?, user: UInt32) throws(KeyfileError) -> [String] {
        switch KeyfilePlace.folder(folder, keyfileOwner: keyfileOwner, dedicated: isDedicated(), user: user) {
        case .safe:
            return []
        case .refuse(let reason):
            throw .unsafeFolder(path: directory, reason: reason)
        case .narrow(let mode):
            guard chmod(directory, 0o700) == 0 else { throw ioError("narrow the mode of", directory) }
            return ["the keyfile's folder \(directory) was open to other users (mode \(KeyfilePlace.octal(mode))); it is now 0700"]
        }
    }

    /// True when the folder holds nothing but the keyfile, its lock and temporary files.
    private func isDedicated() -> Bool {
        let base = Self.lastComponent(of: path)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
        return names.allSatisfy { $0 == base || $0 == base + ".lock" || $0.hasPrefix(base + ".tmp.") }
    }

    /// lstat as facts; nil when nothing is there.
    private func facts(_ file: String) throws(KeyfileError) -> FileFacts? {
        var info = stat()
        guard lstat(file, &info) == 0 else {
            // ENOTDIR: a file stands where a folder on the way should be; nothing is here.
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ioError("inspect", file)
        }
        let kind: FileFacts.Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        return FileFacts(kind: kind, owner: UInt32(info.st_uid), mode: UInt32(info.st_mode & 0o7777))
    }

    /// The lock file could not be opened: say what is in its place.
    private func unusableLock() -> KeyfileError {
        let code = errno
        switch code {
        case ELOOP: return .unusableLock(path: lockPath, reason: "is a symbolic link")
        case EISDIR: return .unusableLock(path: lockPath, reason: "is a folder")
        default: return .unusableLock(path: lockPath, reason: "cannot be opened for writing: \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    private func makeDirectory(_ directory: String) throws(KeyfileError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw .io(path: directory, operation: "use the folder", reason: "it is not a folder")
            }
            return
        }
        do {
            // 0700: the folder holds tokens; intermediate folders get the same.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: directory, operation: "create the folder", reason: (error as NSError).localizedDescription)
        }
    }

    private func lock(_ fd: Int32) throws(KeyfileError) {
        let deadline = monotonicSeconds() + lockTimeoutSeconds
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw ioError("lock", path + ".lock") }
            if monotonicSeconds() >= deadline { throw .lockTimeout(path: path, seconds: Int(lockTimeoutSeconds)) }
            usleep(20_000)
        }
    }

    private func read(_ file: String) throws(KeyfileError) -> Data {
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw ioError("read", file) }
        defer { Glibc.close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("read", file)
            }
            data.append(contentsOf: buffer[..<count])
        }
        return data
    }

    /// Temporary files are only written under the lock, so any found while holding it were left
    /// by a run that was killed before its rename; they may hold tokens, so they go.
    private func removeStaleTemporaryFiles() {
        let prefix = Self.lastComponent(of: path) + ".tmp."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.count == prefix.count + 6 {
            unlink(directory + "/" + name)
        }
    }

    private func writeAtomically(_ data: Data, directory: String) throws(KeyfileError) {
        var template = Array((path + ".tmp.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ioError("create a temporary file next to", path) }
        let tempPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            if !renamed { unlink(tempPath) }
        }
        do {
            defer { Glibc.close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw ioError("set the mode of", tempPath) }
            var offset = 0
            let bytes = [UInt8](data)
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ioError("write", tempPath)
                }
                offset += written
            }
            guard fsync(fd) == 0 else { throw ioError("flush", tempPath) }
        }
        guard rename(tempPath, path) == 0 else { throw ioError("replace", path) }
        renamed = true
        // Make the rename itself durable.
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            Glibc.close(dirFD)
        }
    }

    private func ioError(_ operation: String, _ file: String) -> KeyfileError {
        let code = errno
        return .io(path: file, operation: operation, reason: "\(String(cString: strerror(code))) (errno \(code))")
    }
}
