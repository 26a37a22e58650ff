#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
        let user = OS.effectiveUserID
        var keyfileOwner: UInt32?
        if let keyfile = try facts(path) {
            if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: user) { throw problem }
            keyfileOwner = keyfile.owner
            _ = try KeyfileDocument.merge(existing: try read(path), entry: Self.probeEntry, path: path)
        }
        guard let folder = try facts(directory) else {
            // ceauth will create the folder (0700) under the nearest one that exists.
            var ancestor = directory
            while !OS.exists(ancestor) && ancestor != "/" && ancestor != "." {
                ancestor = Self.parent(of: ancestor)
            }
            guard OS.isDirectory(ancestor) else {
                throw .io(path: ancestor, operation: "create the keyfile under", reason: "it is not a folder")
            }
            guard OS.canWriteInto(ancestor) else { throw ioError("write into the folder", ancestor) }
            return []
        }
        let warnings = try secure(folder, keyfileOwner: keyfileOwner, user: user)
        guard OS.canWriteInto(directory) else { throw ioError("write into the folder", directory) }
        if let lock = try facts(lockPath) {
            if let problem = KeyfilePlace.lock(lock, path: lockPath) { throw problem }
            let fd = OS.open(lockPath, .readWrite(create: nil))
            guard fd >= 0 else { throw unusableLock() }
            OS.close(fd)
        }
        return warnings
    }

    /// The saved instances (none when there is no keyfile yet), read under login's verdict: a
    /// regular file of ours (a link is never followed) in a folder no other user controls.
    /// Another user's keyfile would choose the tokens a script gets and where ceauth sends the
    /// secrets, so it is refused before it is read.
    public func instances() throws(KeyfileError) -> [KeyfileEntry] {
        let user = OS.effectiveUserID
        guard let keyfile = try facts(path) else { return [] }
        if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: user) { throw problem }
        // Whether the folder holds only ceauth's files matters only for one open to others
        // (narrowed then, not refused): the folder is listed only in that case.
        if let folder = try facts(directory),
           case .refuse(let reason) = KeyfilePlace.folder(folder, keyfileOwner: keyfile.owner,
                                                          dedicated: folder.othersCanWrite && isDedicated(), user: user) {
            throw .unsafeFolder(path: directory, reason: reason)
        }
        return try KeyfileReader.instances(try read(path), path: path)
    }

    private static let probeEntry = KeyfileEntry(name: "", id: 0, token: Secret(""), element: "", baseURL: "", created: "")

    @discardableResult
    public func save(_ entry: KeyfileEntry) throws(KeyfileError) -> SaveReport {
        let user = OS.effectiveUserID
        try makeDirectory(directory)
        guard let folder = try facts(directory) else { throw ioError("inspect", directory) }
        var warnings = try secure(folder, keyfileOwner: try facts(path)?.owner, user: user)

        let lockFD = OS.open(lockPath, .readWrite(create: 0o600))
        guard lockFD >= 0 else { throw unusableLock() }
        defer { OS.close(lockFD) }
        guard OS.kind(lockFD) == .regular else {
            throw .unusableLock(path: lockPath, reason: "is not a regular file")
        }
        try lock(lockFD)
        defer { OS.unlock(lockFD) }

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

    /// Removes the entry of `id` at `baseURL`, under the lock and atomically, keeping everything
    /// else exactly. False when the keyfile has no such entry.
    @discardableResult
    public func remove(id: Int64, baseURL: String) throws(KeyfileError) -> Bool {
        guard OS.exists(path) else { return false }
        let lockFD = OS.open(lockPath, .readWrite(create: 0o600))
        guard lockFD >= 0 else { throw unusableLock() }
        defer { OS.close(lockFD) }
        guard OS.kind(lockFD) == .regular else { throw .unusableLock(path: lockPath, reason: "is not a regular file") }
        try lock(lockFD)
        defer { OS.unlock(lockFD) }
        guard let keyfile = try facts(path) else { return false }
        if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: OS.effectiveUserID) { throw problem }
        guard let data = try KeyfileDocument.remove(existing: try read(path), id: id, baseURL: baseURL, path: path) else { return false }
        removeStaleTemporaryFiles()
        try writeAtomically(data, directory: directory)
        return true
    }

    /// Replaces the whole file (the config file is written this way): the same folder checks,
    /// lock and atomic 0600 write as the keyfile.
    public func replace(with data: Data) throws(KeyfileError) {
        try makeDirectory(directory)
        guard let folder = try facts(directory) else { throw ioError("inspect", directory) }
        _ = try secure(folder, keyfileOwner: try facts(path)?.owner, user: OS.effectiveUserID)
        let lockFD = OS.open(lockPath, .readWrite(create: 0o600))
        guard lockFD >= 0 else { throw unusableLock() }
        defer { OS.close(lockFD) }
        try lock(lockFD)
        defer { OS.unlock(lockFD) }
        if let file = try facts(path), let problem = KeyfilePlace.keyfile(file, path: path, user: OS.effectiveUserID) { throw problem }
        removeStaleTemporaryFiles()
        try writeAtomically(data, directory: directory)
    }

    /// Acts on the folder verdict: narrows a folder of ours, refuses an unsafe one.
    private func secure(_ folder: FileFacts, keyfileOwner: UInt32?, user: UInt32) throws(KeyfileError) -> [String] {
        switch KeyfilePlace.folder(folder, keyfileOwner: keyfileOwner, dedicated: isDedicated(), user: user) {
        case .safe:
            return []
        case .refuse(let reason):
            throw .unsafeFolder(path: directory, reason: reason)
        case .narrow(let mode):
            guard OS.setMode(directory, 0o700) else { throw ioError("narrow the mode of", directory) }
            return ["the keyfile's folder \(directory) was open to other users (mode \(KeyfilePlace.octal(mode))); it is now 0700"]
        }
    }

    /// True when the folder holds nothing but ceauth's files: this one, the keyfile and the
    /// config file, with their locks and temporary files.
    private func isDedicated() -> Bool {
        let bases = Set([Self.lastComponent(of: path), "keys.json", "config"])
        guard let names = OS.names(in: directory) else { return false }
        return names.allSatisfy { name in bases.contains { name == $0 || name == $0 + ".lock" || name.hasPrefix($0 + ".tmp.") } }
    }

    /// lstat as facts; nil when nothing is there.
    private func facts(_ file: String) throws(KeyfileError) -> FileFacts? {
        switch OS.facts(file) {
        case .success(let facts): return facts
        case .failure(let error): throw .io(path: file, operation: "inspect", reason: "\(OS.describe(error.code)) (errno \(error.code))")
        }
    }

    /// The lock file could not be opened: say what is in its place.
    private func unusableLock() -> KeyfileError {
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

    /// Creates the folder and any missing ones above it, 0700: the folder holds tokens.
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

    private func lock(_ fd: Int32) throws(KeyfileError) {
        let deadline = monotonicSeconds() + lockTimeoutSeconds
        while !OS.tryLock(fd) {
            guard OS.lockIsBusy(OS.lastError) else { throw ioError("lock", lockPath) }
            if monotonicSeconds() >= deadline { throw .lockTimeout(path: path, seconds: Int(lockTimeoutSeconds)) }
            OS.sleep(seconds: 0.02)
        }
    }

    private func read(_ file: String) throws(KeyfileError) -> Data {
        let fd = OS.open(file, .read)
        guard fd >= 0 else { throw ioError("read", file) }
        defer { OS.close(fd) }
        guard let bytes = OS.readAll(fd) else { throw ioError("read", file) }
        return Data(bytes)
    }

    /// Temporary files are only written under the lock, so any found while holding it were left
    /// by a run that was killed before its rename; they may hold tokens, so they go.
    private func removeStaleTemporaryFiles() {
        let prefix = Self.lastComponent(of: path) + ".tmp."
        for name in OS.names(in: directory) ?? [] where name.hasPrefix(prefix) && name.count == prefix.count + 6 {
            OS.remove(directory + "/" + name)
        }
    }

    private func writeAtomically(_ data: Data, directory: String) throws(KeyfileError) {
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
            guard OS.writeAll(fd, [UInt8](data)) else { throw ioError("write", tempPath) }
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

    private func ioError(_ operation: String, _ file: String) -> KeyfileError {
        let code = OS.lastError
        return .io(path: file, operation: operation, reason: "\(OS.describe(code)) (errno \(code))")
    }
}
