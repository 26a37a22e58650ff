#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The element templates and HTML pages: those built into the binary, overlaid by the files
/// of a user's template folder (same file name wins, new names add elements).
public struct TemplateLibrary: Sendable {
    private var files: [String: Data]
    private var origins: [String: String]

    /// The files of the package's `Templates/` folder, compiled in by the EmbedTemplates plugin.
    public static let builtIn: TemplateLibrary = {
        var files: [String: Data] = [:]
        var origins: [String: String] = [:]
        for (name, base64) in EmbeddedTemplates.base64Files {
            files[name] = Data(base64Encoded: base64) ?? Data()
            origins[name] = "built-in \(name)"
        }
        return TemplateLibrary(files: files, origins: origins)
    }()

    init(files: [String: Data], origins: [String: String]) {
        self.files = files
        self.origins = origins
    }

    /// This library with the `.json`, `.html` and `.css` files of `directory` added or replacing.
    public func overlaying(directory: URL) throws(TemplateError) -> TemplateLibrary {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .unreadable(file: directory.path, reason: "the folder cannot be listed (\(error))")
        }
        var copy = self
        for name in names where name.hasSuffix(".json") || name.hasSuffix(".html") || name.hasSuffix(".css") {
            let path = directory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadable(file: path, reason: "the file cannot be read")
            }
            copy.files[name] = data
            copy.origins[name] = path
        }
        return copy
    }

    /// Where an element's template comes from: "built-in gmail.json", or the file's path.
    public func source(ofElement key: String) -> String? {
        origins[key + ".json"]
    }

    /// The keys of every element that has a template.
    public var elementKeys: [String] {
        files.keys.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func element(_ key: String) throws(TemplateError) -> ElementTemplate {
        // The key becomes a file name: refuse anything that could name another path.
        let allowed = key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard !key.isEmpty, allowed, !key.hasPrefix(".") else { throw .invalidElementKey(key) }
        let name = key + ".json"
        guard let data = files[name] else { throw .unknownElement(key, available: elementKeys) }
        let origin = origins[name] ?? name
        let template: ElementTemplate
        do {
            template = try JSONDecoder().decode(ElementTemplate.self, from: data)
        } catch {
            throw .invalid(file: origin, reason: Self.describe(error))
        }
        guard template.key == key else {
            throw .invalid(file: origin, reason: "its key is '\(template.key)' but the file is named \(name)")
        }
        guard !template.authorization.scopes.isEmpty else {
            throw .invalid(file: origin, reason: "authorization.scopes is empty")
        }
        return template
    }

    /// An HTML page template (`success.html`, `failure.html`) as text, with each
    /// `<!--#include NAME-->` line replaced by that file (the pages share `page.css`).
    public func page(_ name: String) throws(TemplateError) -> String {
        guard let data = files[name], let text = String(data: data, encoding: .utf8) else {
            throw .missingPage(name)
        }
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingWhitespace()
            guard trimmed.hasPrefix("<!--#include "), trimmed.hasSuffix("-->") else { lines.append(String(line)); continue }
            let included = String(trimmed.dropFirst("<!--#include ".count).dropLast(3)).trimmingWhitespace()
            guard included != name, !included.contains("#include"), let part = files[included],
                  let partText = String(data: part, encoding: .utf8) else { throw .missingPage(included) }
            lines.append(partText.hasSuffix("\n") ? String(partText.dropLast()) : partText)
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "the field \(path) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "the field \(path) has the wrong type"
        case DecodingError.dataCorrupted:
            return "it is not valid JSON"
        default:
            return "\(error)"
        }
    }
}
