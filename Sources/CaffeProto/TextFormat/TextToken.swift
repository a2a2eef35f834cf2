/// One token of protobuf text format, with its 1-based position as libprotobuf reports it
/// (columns count bytes; a tab advances to the next multiple of 8, as io::Tokenizer does).
struct TextToken: Equatable {
    enum Kind: Equatable { case identifier, integer, float, string, symbol, end }
    var kind: Kind
    /// The token's bytes as written (strings keep their quotes and escapes).
    var text: String
    var line: Int
    var column: Int
}
