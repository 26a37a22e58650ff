import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

/// Shell completion, through bash itself: the script ceauth generates, sourced, and its
/// completion function called as bash calls it when Tab is pressed.
extension CLITests {
    func bashCompletes(_ words: [String], environment: [String: String]) async throws -> [String] {
        let quoted = ([CLITests.binary] + words).map { "'\($0)'" }.joined(separator: " ")
        let script = """
        source <("\(CLITests.binary)" --generate-completion-script bash)
        COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        _ceauth "\(CLITests.binary)" '\(words.last ?? "")' '\(words.dropLast().last ?? "")'
        printf '%s\\n' "${COMPREPLY[@]}"
        """
        let run = try await run(["-c", script], environment: environment, executable: "/bin/bash")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    @Test func bashCompletesInstanceNamesElementsAndEnvironments() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/bash") else { return }
        let harness = try LoginHarness()
        _ = try await loggedIn(harness, name: "mail-bot")
        _ = try await loggedIn(harness, element: "googlecalendar", name: "calendar-bot")
        let env = harness.environment
        await #expect(try bashCompletes(["token", "ma"], environment: env) == ["mail-bot"])
        await #expect(Set(try bashCompletes(["verify", ""], environment: env)).isSuperset(of: ["mail-bot", "calendar-bot"]))
        await #expect(try bashCompletes(["login", "google"], environment: env) == ["googlecalendar"])
        await #expect(try bashCompletes(["login", "gmail", "--env", ""], environment: env) == ["us", "eu", "staging"])
        // Another keyfile named on the line is the one read.
        let other = harness.directory.path + "/other.json"
        try Data(#"{"instances": [{"name": "elsewhere", "id": 7, "token": "T"}]}"#.utf8).write(to: URL(fileURLWithPath: other))
        await #expect(try bashCompletes(["show", "--keyfile", other, "e"], environment: env) == ["elsewhere"])
    }
}
