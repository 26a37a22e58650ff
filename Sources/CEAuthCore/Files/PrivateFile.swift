#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A file only its user may read (the keyfile, the config file), written one way: under an
/// exclusive lock (two runs at once lose nothing), through a temporary file in the same folder
/// that is fsynced and renamed over the old one (a crash leaves the old file whole), with mode
/// 0600 in a 0700 folder. `noun` names the file in what the user is told.
public struct PrivateFile: Sendable {
    public var path: String
    public var noun: String
    public var lockTimeoutSeconds: Double

    public init(path: String, noun: String, lockTimeoutSeconds: Double = 30) {
        self.path = path
        self.noun = noun
        self.lockTimeoutSeconds = lockTimeoutSeconds
    }

    /// The folder that holds the file.
    var directory: String { Self.parent(of: path) }
    var lockPath: String { path + ".lock" }

    /// Creates the folder (0700) when it is missing and acts on the folder verdict: narrows a
    /// folder of ours, refuses an unsafe one. Returns what the user should be told.
    func prepareFolder() throws(KeyfileError) -> [String] {
        try makeDirectory(directory)
        guard let folder = try facts(directory) else { throw ioError("inspect", directory) }
        return try secure(folder, fileOwner: try facts(path)?.owner, user: OS.effectiveUserID)
    }

    /// Acts on the folder verdict: narrows a folder of ours, refuses an unsafe one.
    func secure(_ folder: FileFacts, fileOwner: UInt32?, user: UInt32) throws(KeyfileError) -> [String] {
        switch KeyfilePlace.folder(folder, keyfileOwner: fileOwner, dedicated: isDedicated(), user: user) {
        case .safe:
            return []
        case .refuse(let reason):
            throw .unsafeFolder(path: directory, reason: reason)
        case .narrow(let mode):
            guard OS.setMode(directory, 0o700) else { throw ioError("narrow the mode of", directory) }
            return ["the \(noun)'s folder \(directory) was open to other users (mode \(KeyfilePlace.octal(mode))); it is now 0700"]
        }
    }

    /// The one locking path: `body` runs holding the exclusive lock of the file's lock file.
    func underLock<T>(_ body: () throws(KeyfileError) -> T) throws(KeyfileError) -> T {
        let lockFD = OS.open(lockPath, .readWrite(create: 0o600))
        guard lockFD >= 0 else { throw unusableLock() }
        defer { OS.close(lockFD) }
        guard OS.kind(lockFD) == .regular else { throw .unusableLock(path: lockPath, reason: "is not a regular file") }
        let deadline = monotonicSeconds() + lockTimeoutSeconds
        while !OS.tryLock(lockFD) {
            guard OS.lockIsBusy(OS.lastError) else { throw ioError("lock", lockPath) }
            if monotonicSeconds() >= deadline { throw .lockTimeout(path: path, seconds: Int(lockTimeoutSeconds)) }
            OS.sleep(seconds: 0.02)
        }
        defer { OS.unlock(lockFD) }
        return try body()
    }

    /// Replaces the whole file: the folder checks, the lock, the file's own verdict, the
    /// atomic 0600 write.
    public func replace(with data: Data) throws(KeyfileError) {
        _ = try prepareFolder()
        try underLock { () throws(KeyfileError) in
            if let file = try facts(path), let problem = KeyfilePlace.keyfile(file, path: path, user: OS.effectiveUserID) { throw problem }
            try commit(data)
        }
    }

    /// Under the lock: clears what a killed run left, then writes `data` in the file's place.
    func commit(_ data: Data) throws(KeyfileError) { try commit([UInt8](data)) }

    func commit(_ bytes: [UInt8]) throws(KeyfileError) {
        removeStaleTemporaryFiles()
        try writeAtomically(bytes)
    }

    /// True when the folder holds nothing but ceauth's files: this one, the keyfile and the
    /// config file, with their locks and temporary files.
    func isDedicated() -> Bool {
        let bases = Set([Self.lastComponent(of: path), "keys.json", "config"])
        guard let names = OS.names(in: directory) else { return false }
        return names.allSatisfy { name in bases.contains { name == $0 || name == $0 + ".lock" || name.hasPrefix($0 + ".tmp.") } }
    }

    /// lstat as facts; nil when nothing is there.
    func facts(_ file: String) throws(KeyfileError) -> FileFacts? {
        switch OS.facts(file) {
        case .success(let facts): return facts
        case .failure(let error): throw .io(path: file, operation: "inspect", reason: "\(OS.describe(error.code)) (errno \(error.code))")
        }
    }

    /// The lock file could not be opened: say what is in its place.
    func unusableLock() -> KeyfileError {
        let code = OS.lastError
        switch code {
        case OS.Code.tooManyLinks: return .unusableLock(path: lockPath, reason: "is a symbolic link")
        case OS.Code.isADirectory: return .unusableLock(path: lockPath, reason: "is a folder")
        default: return .unusableLock(path: lockPath, reason: "cannot be opened for writing: \(OS.describe(code)) (errno \(code))")
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Creates the folder and any missing ones above it, 0700: the folder holds secrets.
    private func makeDirectory(_ directory: String) throws(KeyfileError) {
        if OS.exists(directory) {
            guard OS.isDirectory(directory) else {
                throw .io(path: directory, operation: "use the folder", reason: "it is not a folder")
            }
            return
        }
        let parent = Self.parent(of: directory)
        if parent != directory && !OS.exists(parent) { try makeDirectory(parent) }
        guard OS.makeDirectory(directory, mode: 0o700) else { throw ioError("create the folder", directory) }
    }

    /// The file's bytes, not copied into a `Data` (a keyfile of megabytes is parsed from them).
    func readBytes(_ file: String) throws(KeyfileError) -> [UInt8] {
        let fd = OS.open(file, .read)
        guard fd >= 0 else { throw ioError("read", file) }
        defer { OS.close(fd) }
        guard let bytes = OS.readAll(fd) else { throw ioError("read", file) }
        return bytes
    }

    /// Temporary files are only written under the lock, so any found while holding it were left
    /// by a run that was killed before its rename; they may hold secrets, so they go.
    private func removeStaleTemporaryFiles() {
        let prefix = Self.lastComponent(of: path) + ".tmp."
        for name in OS.names(in: directory) ?? [] where name.hasPrefix(prefix) && name.count == prefix.count + 6 {
            OS.remove(directory + "/" + name)
        }
    }

    private func writeAtomically(_ bytes: [UInt8]) throws(KeyfileError) {
        guard let (fd, tempPath) = OS.makeTemporaryFile(prefix: path + ".tmp.") else {
            throw ioError("create a temporary file next to", path)
        }
        var renamed = false
        defer {
            if !renamed { OS.remove(tempPath) }
        }
        do {
            defer { OS.close(fd) }
            guard OS.setMode(fd, 0o600) else { throw ioError("set the mode of", tempPath) }
            guard OS.writeAll(fd, bytes) else { throw ioError("write", tempPath) }
            guard OS.sync(fd) else { throw ioError("flush", tempPath) }
        }
        guard OS.rename(tempPath, path) else { throw ioError("replace", path) }
        renamed = true
        // Make the rename itself durable.
        let dirFD = OS.open(directory, .directory)
        if dirFD >= 0 {
            _ = OS.sync(dirFD)
            OS.close(dirFD)
        }
    }

    func ioError(_ operation: String, _ file: String) -> KeyfileError {
        let code = OS.lastError
        return .io(path: file, operation: operation, reason: "\(OS.describe(code)) (errno \(code))")
    }
}
