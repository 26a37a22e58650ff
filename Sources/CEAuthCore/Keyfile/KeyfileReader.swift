#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the reading commands (list, show, token, header, verify, delete) ask of an entry.
extension KeyfileEntry {
    /// The Cloud Elements host, for listings (`api.cloud-elements.com`).
    public var host: String { URLComponents(string: baseURL)?.host ?? baseURL }

    /// The entry's baseUrl, checked as every URL ceauth sends to (https, or http to loopback;
    /// read by libcurl's parser): where requests about this instance go.
    public func validatedBaseURL() throws(ConfigurationError) -> URL {
        try ServiceURL.validate(baseURL, what: "the baseUrl of \(summary) in the keyfile", sentByCEAuth: true)
    }

    /// One line naming the instance, for messages and candidate lists.
    public var summary: String { "'\(name)' (id \(id), \(element), \(isSandbox ? "sandbox" : host))" }

    /// Made by the sandbox (`ceauth sandbox` or `--sandbox`): its baseUrl is on loopback under
    /// `/sandbox/`. Such a token opens nothing real, and a real one never goes to the sandbox.
    public var isSandbox: Bool { Self.isSandboxURL(baseURL) }

    public static func isSandboxURL(_ url: String) -> Bool {
        guard let parts = URLComponents(string: url), let host = parts.host else { return false }
        return ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host) && parts.path.hasPrefix("/sandbox/")
    }
}

/// No instance, or more than one, answers to the name or id given.
public enum InstanceLookupError: Error, Equatable, CustomStringConvertible {
    case notFound(String, keyfile: String)
    case ambiguous(String, candidates: [String])
    /// The query is one instance's name and another's id.
    case nameAndID(String, named: String, numbered: String)
    case emptyKeyfile(keyfile: String)

    public var description: String {
        switch self {
        case .notFound(let query, let keyfile):
            return "no instance named or numbered '\(query)' in \(keyfile); ceauth list shows what it holds"
        case .ambiguous(let query, let candidates):
            return "'\(query)' names \(candidates.count) instances; give the id of one:\n" + candidates.map { "  " + $0 }.joined(separator: "\n")
        case .nameAndID(let query, let named, let numbered):
            return "'\(query)' is the name of one instance and the id of another; say which: name:\(query) or id:\(query)\n  name: \(named)\n  id:   \(numbered)"
        case .emptyKeyfile(let keyfile):
            return "the keyfile \(keyfile) holds no instances yet; create one with ceauth login ELEMENT"
        }
    }
}

/// Reads the keyfile's instances. Pure over bytes; the store reads the file.
public enum KeyfileReader {
    /// The instances in order. An entry with neither an id nor a token is skipped (a person may
    /// keep notes there); one with either but something missing is kept, so that a command
    /// naming it refuses it (`usable`, exit 6) instead of using an empty token. An unparseable
    /// file is an error.
    public static func instances(_ data: Data?, path: String) throws(KeyfileError) -> [KeyfileEntry] {
        try instances(bytes: data.map { [UInt8]($0) }, path: path)
    }

    public static func instances(bytes data: [UInt8]?, path: String) throws(KeyfileError) -> [KeyfileEntry] {
        guard let data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return [] }
        let root: LosslessJSON
        do {
            root = try LosslessJSON.parse(data)
        } catch {
            throw .unparseable(path: path, reason: "it is not valid JSON: \(error)")
        }
        guard case .object = root else { throw .unparseable(path: path, reason: "it is not a JSON object") }
        guard let instances = root["instances"] else { return [] }
        guard case .array(let items) = instances else {
            throw .unparseable(path: path, reason: "its \"instances\" member is not an array")
        }
        return items.compactMap(entry)
    }

    /// One entry, its members read in one pass (a keyfile may hold 10,000).
    static func entry(_ item: LosslessJSON) -> KeyfileEntry? {
        guard case .object(let members) = item else { return nil }
        var name: String?, id: LosslessJSON?, token: LosslessJSON?, element: String?, baseURL: String?, created: String?
        for member in members {
            let key = member.key
            if key.is("name") { name = member.value.stringValue } else if key.is("id") { id = member.value }
            else if key.is("token") { token = member.value } else if key.is("element") { element = member.value.stringValue }
            else if key.is("baseUrl") { baseURL = member.value.stringValue } else if key.is("created") { created = member.value.stringValue }
        }
        let number = id.flatMap { $0.integerValue ?? $0.stringValue.flatMap { Int64($0) } }
        guard number != nil || token != nil else { return nil }
        var entry = KeyfileEntry(name: name ?? "", id: number ?? 0, token: Secret(token?.stringValue ?? ""),
                                 element: element ?? "", baseURL: baseURL ?? "", created: created ?? "")
        entry.hasID = number != nil
        return entry
    }

    /// The one instance `query` names: an exact name or an id (all digits); `name:QUERY` or
    /// `id:QUERY` for only one of the two. An id held for two Cloud Elements hosts, a name given
    /// to several instances, or a query that is one's name and another's id, is ambiguous.
    public static func find(_ query: String, in instances: [KeyfileEntry], keyfile: String) throws(InstanceLookupError) -> KeyfileEntry {
        guard !instances.isEmpty else { throw .emptyKeyfile(keyfile: keyfile) }
        var value = Substring(query), byName = true, byID = true
        if value.hasPrefix("name:") { value = value.dropFirst(5); byID = false } else if value.hasPrefix("id:") { value = value.dropFirst(3); byName = false }
        let named = byName ? instances.filter { $0.name == value } : []
        let numbered = byID ? Int64(value).map { id in instances.filter { $0.id == id && !named.contains($0) } } ?? [] : []
        if named.count == 1 && numbered.count == 1 { throw .nameAndID(String(value), named: named[0].summary, numbered: numbered[0].summary) }
        let matches = named + numbered
        switch matches.count {
        case 0: throw .notFound(query, keyfile: keyfile)
        case 1: return matches[0]
        default: throw .ambiguous(query, candidates: matches.map(\.summary))
        }
    }
}
