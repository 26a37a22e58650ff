/// What ceauth knows of one path from `lstat`, for the pure decisions below.
public struct FileFacts: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case regular, directory, symlink, other }
    public var kind: Kind
    public var owner: UInt32
    /// Permission bits, sticky bit included (e.g. 0o1777).
    public var mode: UInt32

    public init(kind: Kind, owner: UInt32, mode: UInt32) {
        self.kind = kind
        self.owner = owner
        self.mode = mode
    }

    var isSticky: Bool { mode & 0o1000 != 0 }
    var othersCanWrite: Bool { mode & 0o022 != 0 }
}

/// Whether the keyfile's folder, the keyfile and its lock are safe to write tokens into. Pure:
/// the store gathers the facts and acts on the verdict. The threat is another local user who
/// can put entries into the folder (a symbolic link in place of the keyfile, say) or owns a
/// file ceauth would rewrite.
public enum KeyfilePlace {
    public enum FolderVerdict: Sendable, Equatable {
        case safe
        /// A folder of ours that holds only ceauth's files but is open to others: made 0700.
        case narrow(from: UInt32)
        case refuse(reason: String)
    }

    /// - Parameters:
    ///   - keyfileOwner: the keyfile's owner, when it exists.
    ///   - dedicated: the folder holds nothing but the keyfile, its lock and temporary files,
    ///     so narrowing it changes nothing else (a project folder or a home folder is never
    ///     narrowed behind the user's back).
    public static func folder(_ folder: FileFacts, keyfileOwner: UInt32?, dedicated: Bool, user: UInt32) -> FolderVerdict {
        guard folder.kind == .directory else { return .refuse(reason: "is not a folder") }
        if folder.isSticky {
            // Like /tmp: others may add entries but cannot remove or rename ours.
            if let keyfileOwner, keyfileOwner != user {
                return .refuse(reason: "is shared (sticky) and the keyfile in it belongs to another user (uid \(keyfileOwner))")
            }
            return .safe
        }
        if folder.owner != user && folder.owner != 0 {
            return .refuse(reason: "belongs to another user (uid \(folder.owner)), who could replace the keyfile with a link")
        }
        if folder.othersCanWrite {
            if folder.owner == user && dedicated { return .narrow(from: folder.mode & 0o7777) }
            return .refuse(reason: "can be written by other users (mode \(octal(folder.mode & 0o7777))), who could replace the keyfile with a link; run chmod go-w on it")
        }
        if folder.owner == user && dedicated && folder.mode & 0o077 != 0 { return .narrow(from: folder.mode & 0o7777) }
        return .safe
    }

    /// The keyfile, when it exists: a regular file of ours (a link is never followed; another
    /// user's file would change owner, or cannot be replaced at all in a sticky folder).
    public static func keyfile(_ facts: FileFacts, path: String, user: UInt32) -> KeyfileError? {
        switch facts.kind {
        case .symlink: return .symlink(path: path)
        case .directory, .other: return .notRegularFile(path: path)
        case .regular: return facts.owner == user ? nil : .notOurs(path: path, owner: facts.owner)
        }
    }

    /// The lock file, when it exists: a regular file (a dangling link or a folder in its place
    /// makes the save fail after the code is spent).
    public static func lock(_ facts: FileFacts, path: String) -> KeyfileError? {
        switch facts.kind {
        case .symlink: return .unusableLock(path: path, reason: "is a symbolic link")
        case .directory: return .unusableLock(path: path, reason: "is a folder")
        case .other: return .unusableLock(path: path, reason: "is not a regular file")
        case .regular: return nil
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return digits.count < 4 ? String(repeating: "0", count: 4 - digits.count) + digits : digits
    }
}
