#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The keyfile's reads and writes: login's verdict on the file and its folder before anything
/// is read, and every write through `PrivateFile` (one lock, one atomic 0600 write).
public struct KeyfileStore: Sendable {
    public var path: String { file.path }
    private let file: PrivateFile

    public init(path: String, lockTimeoutSeconds: Double = 30) {
        file = PrivateFile(path: path, noun: "keyfile", lockTimeoutSeconds: lockTimeoutSeconds)
    }

    /// The folder that holds the keyfile.
    private var directory: String { file.directory }

    public struct SaveReport: Sendable, Equatable {
        /// Things the user should know, e.g. the old file was readable by others.
        public var warnings: [String]
    }

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
            _ = try KeyfileDocument.merge(bytes: try file.readBytes(path), entry: Self.probeEntry, path: path)
        }
        guard let folder = try facts(directory) else {
            // ceauth will create the folder (0700) under the nearest one that exists.
            var ancestor = directory
            while !OS.exists(ancestor) && ancestor != "/" && ancestor != "." {
                ancestor = PrivateFile.parent(of: ancestor)
            }
            guard OS.isDirectory(ancestor) else {
                throw .io(path: ancestor, operation: "create the keyfile under", reason: "it is not a folder")
            }
            guard OS.canWriteInto(ancestor) else { throw ioError("write into the folder", ancestor) }
            return []
        }
        let warnings = try file.secure(folder, fileOwner: keyfileOwner, user: user)
        guard OS.canWriteInto(directory) else { throw ioError("write into the folder", directory) }
        if let lock = try facts(file.lockPath) {
            if let problem = KeyfilePlace.lock(lock, path: file.lockPath) { throw problem }
            let fd = OS.open(file.lockPath, .readWrite(create: nil))
            guard fd >= 0 else { throw file.unusableLock() }
            OS.close(fd)
        }
        return warnings
    }

    /// The saved instances (none when there is no keyfile yet), read under login's verdict: a
    /// regular file of ours (a link is never followed) in a folder no other user controls.
    /// Another user's keyfile would choose the tokens a script gets and where ceauth sends the
    /// secrets, so it is refused before it is read.
    public func instances() throws(KeyfileError) -> [KeyfileEntry] { Array(try entries()) }

    /// The same, each entry made whole only when asked for (a lookup among thousands).
    /// `matching`: only the entries a lookup of that name or id could answer with are kept.
    public func entries(matching query: String? = nil) throws(KeyfileError) -> KeyfileEntries {
        let user = OS.effectiveUserID
        guard let keyfile = try facts(path) else { return try KeyfileReader.entries(bytes: nil, path: path, matching: query) }
        if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: user) { throw problem }
        // Whether the folder holds only ceauth's files matters only for one open to others
        // (narrowed then, not refused): the folder is listed only in that case.
        if let folder = try facts(directory),
           case .refuse(let reason) = KeyfilePlace.folder(folder, keyfileOwner: keyfile.owner,
                                                          dedicated: folder.othersCanWrite && file.isDedicated(), user: user) {
            throw .unsafeFolder(path: directory, reason: reason)
        }
        return try KeyfileReader.entries(bytes: try file.readBytes(path), path: path, matching: query)
    }

    private static let probeEntry = KeyfileEntry(name: "", id: 0, token: Secret(""), element: "", baseURL: "", created: "")

    @discardableResult
    public func save(_ entry: KeyfileEntry) throws(KeyfileError) -> SaveReport {
        var warnings = try file.prepareFolder()
        return try file.underLock { () throws(KeyfileError) in
            var existing: [UInt8]?
            if let keyfile = try facts(path) {
                if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: OS.effectiveUserID) { throw problem }
                if keyfile.mode & 0o077 != 0 {
                    warnings.append("the keyfile \(path) was readable by others (mode \(KeyfilePlace.octal(keyfile.mode & 0o777))); it is now 0600")
                }
                existing = try file.readBytes(path)
            }
            try file.commit(try KeyfileDocument.merge(bytes: existing, entry: entry, path: path))
            return SaveReport(warnings: warnings)
        }
    }

    /// Removes the entry of `id` at `baseURL`, under the lock and atomically, keeping everything
    /// else exactly. False when the keyfile has no such entry.
    @discardableResult
    public func remove(id: Int64, baseURL: String) throws(KeyfileError) -> Bool {
        guard OS.exists(path) else { return false }
        return try file.underLock { () throws(KeyfileError) in
            guard let keyfile = try facts(path) else { return false }
            if let problem = KeyfilePlace.keyfile(keyfile, path: path, user: OS.effectiveUserID) { throw problem }
            guard let data = try KeyfileDocument.remove(bytes: try file.readBytes(path), id: id, baseURL: baseURL, path: path) else { return false }
            try file.commit(data)
            return true
        }
    }

    private func facts(_ path: String) throws(KeyfileError) -> FileFacts? { try file.facts(path) }
    private func ioError(_ operation: String, _ path: String) -> KeyfileError { file.ioError(operation, path) }
}
