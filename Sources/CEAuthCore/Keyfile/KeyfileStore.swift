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
    private var directory: String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    public struct SaveReport: Sendable, Equatable {
        /// Things the user should know, e.g. the old file was readable by others.
        public var warnings: [String]
    }

    /// Checks, before any code is spent, that saving can work: an existing keyfile must be a
    /// regular file (not a link) that parses, and an existing folder must be writable.
    public func preflight() throws(KeyfileError) {
        var info = stat()
        if lstat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK { throw .symlink(path: path) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile(path: path) }
            _ = try KeyfileDocument.merge(existing: try read(path), entry: Self.probeEntry, path: path)
        }
        // The folder, or the nearest ancestor that exists, must be a folder ceauth can write in.
        var folder = directory
        while access(folder, F_OK) != 0 && folder != "/" && folder != "." {
            folder = (folder as NSString).deletingLastPathComponent
        }
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, (folderInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw .io(path: folder, operation: "create the keyfile under", reason: "it is not a folder")
        }
        guard access(folder, W_OK | X_OK) == 0 else { throw ioError("write into the folder", folder) }
    }

    private static let probeEntry = KeyfileEntry(name: "", id: 0, token: Secret(""), element: "", baseURL: "", created: "")

    @discardableResult
    public func save(_ entry: KeyfileEntry) throws(KeyfileError) -> SaveReport {
        var warnings: [String] = []
        try makeDirectory(directory)

        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lockFD >= 0 else { throw ioError("open the lock file for", path + ".lock") }
        defer { Glibc.close(lockFD) }
        try lock(lockFD)
        defer { _ = flock(lockFD, LOCK_UN) }

        var existing: Data?
        var info = stat()
        if lstat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK { throw .symlink(path: path) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile(path: path) }
            if info.st_mode & 0o077 != 0 {
                warnings.append(String(format: "the keyfile %@ was readable by others (mode %o); it is now 0600", path, Int(info.st_mode & 0o777)))
            }
            existing = try read(path)
        } else if errno != ENOENT {
            throw ioError("inspect", path)
        }

        let data = try KeyfileDocument.merge(existing: existing, entry: entry, path: path)
        removeStaleTemporaryFiles()
        try writeAtomically(data, directory: directory)
        return SaveReport(warnings: warnings)
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
        let prefix = (path as NSString).lastPathComponent + ".tmp."
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
