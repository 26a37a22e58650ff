/// The config file names programs to run (`*-secret-command`) and where secrets go
/// (`base-url`), so it is obeyed only when no other user could have written it. Pure verdicts
/// over `lstat` facts; `ConfigFileReader` gathers them and reads.
public enum ConfigFilePlace {
    /// Why a file (the config file, or a link on the way to it) cannot be trusted, or nil.
    /// Yours or root's, and not writable by group or others.
    public static func file(_ facts: FileFacts, isLink: Bool, user: UInt32) -> String? {
        if facts.owner != user && facts.owner != 0 {
            return isLink ? "is reached through a symbolic link that belongs to another user (uid \(facts.owner))"
                : "belongs to another user (uid \(facts.owner))"
        }
        if isLink { return nil }
        guard facts.kind == .regular else { return "is not a regular file" }
        if facts.othersCanWrite { return "can be written by other users (mode \(KeyfilePlace.octal(facts.mode & 0o7777)))" }
        return nil
    }

    /// Why the folder holding the file (or a link to it) cannot be trusted, or nil: another
    /// user's, or open to others' writes without the sticky bit (they could put their own file
    /// in its place).
    public static func folder(_ facts: FileFacts, user: UInt32) -> String? {
        if facts.owner != user && facts.owner != 0 { return "is in a folder of another user (uid \(facts.owner))" }
        if facts.othersCanWrite && !facts.isSticky {
            return "is in a folder other users can write into (mode \(KeyfilePlace.octal(facts.mode & 0o7777)))"
        }
        return nil
    }
}

/// The config file could not be used.
public enum ConfigFileError: Error, Equatable, CustomStringConvertible {
    case untrusted(path: String, reason: String, fix: String)
    case io(path: String, operation: String, reason: String)

    /// The config file is written by the keyfile's store (locked, atomic, 0600): its failure,
    /// said of the config file (no "pass another --keyfile" for a file --keyfile does not name).
    public init(writing path: String, _ error: KeyfileError) {
        switch error {
        case .symlink: self = .untrusted(path: path, reason: "is a symbolic link", fix: "Replace it with a regular file")
        case .notRegularFile: self = .untrusted(path: path, reason: "is not a regular file", fix: "Move it away")
        case .notOurs(_, let owner): self = .untrusted(path: path, reason: "belongs to another user (uid \(owner))", fix: "Use a file of your own")
        case .unsafeFolder(let folder, let reason): self = .untrusted(path: path, reason: "is in the folder \(folder), which \(reason)", fix: "Run chmod go-w \(folder)")
        case .unusableLock(let lock, let reason): self = .io(path: path, operation: "lock", reason: "its lock file \(lock) \(reason); remove it (ceauth creates it again)")
        case .io(let file, let operation, let reason): self = .io(path: path, operation: operation == "replace" ? "write" : operation, reason: file == path ? reason : "\(file): \(reason)")
        case .lockTimeout(_, let seconds): self = .io(path: path, operation: "lock", reason: "another ceauth has held its lock for over \(seconds) seconds; try again")
        case .noLocation: self = .io(path: path, operation: "find", reason: "neither XDG_CONFIG_HOME nor HOME is set; set CEAUTH_CONFIG")
        case .unparseable(_, let reason), .damagedEntry(_, _, _, let reason): self = .io(path: path, operation: "write", reason: reason)
        case .unsafeValue(_, let field): self = .io(path: path, operation: "write", reason: "the \(field) holds a control character")
        }
    }

    public var description: String {
        switch self {
        case .untrusted(let path, let reason, let fix):
            return "the config file \(path) \(reason); it names programs to run and where secrets are sent, so ceauth does not read it. \(fix), or point CEAUTH_CONFIG at a config file of your own"
        case .io(let path, let operation, let reason):
            return "cannot \(operation) the config file \(path): \(reason)"
        }
    }
}

/// Reads the config file only when `ConfigFilePlace` trusts every step to it.
public enum ConfigFileReader {
    /// The file's text, or nil when there is none (a dangling link counts as none).
    public static func read(_ path: String, user: UInt32 = OS.effectiveUserID) throws(ConfigFileError) -> String? {
        var current = path
        for _ in 0..<16 {
            let found: FileFacts?
            switch OS.facts(current) {
            case .success(let facts): found = facts
            case .failure(let error): throw .io(path: current, operation: "inspect", reason: "\(OS.describe(error.code)) (errno \(error.code))")
            }
            guard let facts = found else { return nil }
            let folder = PrivateFile.parent(of: current)
            if let folderFacts = OS.followedFacts(folder), let reason = ConfigFilePlace.folder(folderFacts, user: user) {
                throw .untrusted(path: path, reason: reason + (current == path ? "" : " (\(current))"), fix: "Run chmod go-w \(folder)")
            }
            let isLink = facts.kind == .symlink
            if let reason = ConfigFilePlace.file(facts, isLink: isLink, user: user) {
                let fix = facts.owner != user && facts.owner != 0 ? "Use a file of your own" : "Run chmod go-w \(current)"
                throw .untrusted(path: path, reason: reason + (current == path ? "" : " (\(current))"), fix: fix)
            }
            guard isLink else {
                let fd = OS.open(current, .read)
                guard fd >= 0 else { throw .io(path: path, operation: "read", reason: OS.describe(OS.lastError)) }
                defer { OS.close(fd) }
                guard let bytes = OS.readAll(fd) else { throw .io(path: path, operation: "read", reason: OS.describe(OS.lastError)) }
                return String(decoding: bytes, as: UTF8.self)
            }
            guard let target = OS.linkTarget(current) else { return nil }
            current = target.hasPrefix("/") ? target : folder + "/" + target
        }
        throw .untrusted(path: path, reason: "is reached through more than 16 symbolic links", fix: "Replace the links with the file")
    }
}
