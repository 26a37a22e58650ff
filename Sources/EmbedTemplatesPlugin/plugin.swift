import Foundation
import PackagePlugin

/// Runs TemplateEmbedder over the package's top-level `Templates/` folder and adds the
/// generated Swift file to the target, so templates are compiled into the binary.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let templates = context.package.directoryURL.appending(path: "Templates")
        let files = try FileManager.default.contentsOfDirectory(
            at: templates, includingPropertiesForKeys: nil
        )
        .filter { !$0.lastPathComponent.hasPrefix(".") }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTemplates.swift")
        // The commit the binary is built from (ceauth --version), read from .git by the tool; the
        // files that name it are inputs, so a new commit rebuilds the generated file.
        let git = context.package.directoryURL.appending(path: ".git")
        var gitInputs: [URL] = []
        if let head = try? String(contentsOf: git.appending(path: "HEAD"), encoding: .utf8) {
            gitInputs.append(git.appending(path: "HEAD"))
            if head.hasPrefix("ref: ") {
                let ref = git.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines))
                if FileManager.default.fileExists(atPath: ref.path) { gitInputs.append(ref) }
            }
            let packed = git.appending(path: "packed-refs")
            if FileManager.default.fileExists(atPath: packed.path) { gitInputs.append(packed) }
        }
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) files from Templates/ and the commit",
                executable: try context.tool(named: "TemplateEmbedder").url,
                // The release's SOURCE_DATE_EPOCH (the commit's time) dates the build; none outside it.
                arguments: [output.path, "--git", git.path]
                    + (ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].map { ["--date", $0] } ?? [])
                    + files.map(\.path),
                inputFiles: files + gitInputs,
                outputFiles: [output]
            )
        ]
    }
}
