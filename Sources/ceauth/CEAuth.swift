import ArgumentParser
import CEAuthCore
import Foundation

@main
struct CEAuth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceauth",
        abstract: "Create Cloud Elements (SAP Open Connectors) instances for Google services from the terminal.",
        discussion: """
        Secrets come from the environment only: CEAUTH_USER_SECRET, CEAUTH_ORG_SECRET (Cloud Elements), \
        CEAUTH_CLIENT_ID, CEAUTH_CLIENT_SECRET (the Google OAuth client).
        """,
        version: "0.1.0",
        subcommands: [Login.self, Elements.self]
    )
}

/// Writes to standard error (the human channel); stdout is kept for --json.
enum Terminal {
    static func say(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
