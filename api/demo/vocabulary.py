"""Word lists the demo generator draws from: names, institutions, subjects, assignment genres and topics,
and sentence parts for student writing. Plain data; the generator decides how to combine it."""

from __future__ import annotations

INSTITUTIONS = (
    ("northfield", "Northfield College"),
    ("riverside", "Riverside University"),
    ("lakeshore", "Lakeshore Academy"),
    ("hillcrest", "Hillcrest Community College"),
    ("westbrook", "Westbrook Institute of Technology"),
    ("eastgate", "Eastgate State University"),
)

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Aisha", "Ben", "Camila", "Chen", "Chloe", "Daniel", "Dev", "Elena", "Emeka", "Farah",
    "Felix", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jamal", "Jin", "Julia", "Kai", "Kofi", "Lara", "Leo", "Lucia",
    "Mateo", "Maya", "Mei", "Nadia", "Noah", "Omar", "Priya", "Quinn", "Rafael", "Rosa", "Sami", "Sara", "Sofia",
    "Tariq", "Theo", "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zara", "Zoe", "Liam",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Bauer", "Bianchi", "Brennan", "Carter", "Chowdhury", "Costa", "Dubois", "Eriksen",
    "Fischer", "Garcia", "Haddad", "Hughes", "Ivanova", "Jensen", "Kaur", "Kim", "Kowalski", "Larsen", "Lopez",
    "Mbeki", "Morales", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Quintero", "Rahman",
    "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Tanaka", "Torres", "Umar", "Varga", "Wagner", "Walsh", "Xu",
    "Yilmaz", "Young", "Zhang", "Zielinski", "Moreau",
)  # fmt: skip

SUBJECTS = (
    ("Composition", ("Composition I", "Composition II: Argument and Research", "First-Year Writing Seminar")),
    ("Creative Writing", ("Creative Nonfiction Workshop", "Fiction Workshop", "Writing the Personal Essay")),
    ("Technical Writing", ("Technical Writing for Engineers", "Writing in the Sciences", "Professional Communication")),
    ("Rhetoric", ("Rhetoric and Public Argument", "Visual Rhetoric", "Persuasion and Propaganda")),
    ("Literature", ("Reading and Writing About Literature", "The Modern Novel", "Poetry and Poetics")),
    ("Journalism", ("News Writing and Reporting", "Opinion Writing", "Feature Writing")),
    ("History", ("Writing History", "Historiography and Sources", "Oral History Methods")),
    ("Environmental Studies", ("Writing About the Environment", "Climate Communication", "Nature Writing")),
)

GENRES = (
    ("Argumentative Essay", "argument", "Take a clear position on {topic} and defend it with evidence."),
    ("Literature Review", "research", "Survey and synthesise recent scholarship on {topic}: its gaps and debates."),
    ("Lab Report", "science", "Report an investigation related to {topic}: method, results and a reasoned discussion."),
    ("Personal Narrative", "narrative", "Tell a true story about {topic} that shows change, tension and reflection."),
    ("Rhetorical Analysis", "analysis", "Analyse how a text about {topic} persuades: ethos, pathos, logos."),
    ("Research Proposal", "research", "Propose a study of {topic}: question, context, method, contribution."),
    ("Compare and Contrast Essay", "analysis", "Compare two views of {topic} and explain what the contrast reveals."),
    ("Annotated Bibliography", "research", "Find, summarise and evaluate eight sources about {topic}."),
    ("Op-Ed", "argument", "Write a persuasive opinion piece about {topic} for a general newspaper audience."),
    ("Reflective Journal", "reflection", "Keep a reflective journal on your learning about {topic} across the unit."),
    ("Policy Brief", "argument", "Brief a decision maker on {topic}: the problem, the options, a recommendation."),
    ("Case Study Analysis", "analysis", "Analyse a real case involving {topic} and draw transferable lessons."),
)  # fmt: skip

TOPICS = (
    "Climate Policy", "Social Media and Democracy", "Artificial Intelligence in Education", "Urban Housing",
    "Public Health", "Renewable Energy", "Migration", "Water Scarcity", "Privacy and Surveillance", "The Gig Economy",
    "Food Security", "Remote Work", "Misinformation", "Biodiversity Loss", "Universal Basic Income",
    "Space Exploration", "Mental Health on Campus", "Open Science", "Public Transport", "Digital Literacy",
)  # fmt: skip

STAGES = (
    ("Brainstorm", "Collect ideas, questions and possible sources."),
    ("Outline", "Organise the main points into a logical structure."),
    ("Draft", "Write a complete first draft."),
    ("Peer Review", "Exchange drafts and give structured feedback."),
    ("Revision", "Revise for argument, structure and evidence."),
    ("Final Edit", "Polish style, grammar and citations."),
)
AI_ACTIONS = ("brainstorm", "outline_feedback", "grammar_check", "clarity_suggestions", "citation_help", "summarize")
CITATION_STYLES = ("APA", "MLA", "Chicago", "IEEE")
SECTIONS = ("Introduction", "Background", "Method", "Analysis", "Discussion", "Conclusion", "References")
OBJECTIVES = (
    ("Construct a clear, arguable thesis", "argumentation"),
    ("Integrate evidence from credible sources", "research"),
    ("Organise ideas into a coherent structure", "organization"),
    ("Evaluate counterarguments fairly", "critical_thinking"),
    ("Write with clarity and an appropriate style", "style"),
    ("Cite sources correctly", "citation"),
    ("Reflect on one's own writing process", "metacognition"),
)
CRITERIA = (
    ("Thesis and Focus", "A clear, arguable thesis that the whole piece serves."),
    ("Evidence and Support", "Relevant, credible evidence, well integrated and explained."),
    ("Organization", "Logical structure with effective transitions."),
    ("Style and Mechanics", "Clear sentences, appropriate tone, few errors."),
    ("Citations", "Sources cited consistently in the required style."),
)
WEIGHT_SPLITS = ((50, 50), (60, 40), (40, 30, 30), (50, 25, 25), (25, 25, 25, 25), (40, 20, 20, 20), (30, 30, 20, 20))
POINT_SPLITS = ((40, 30, 30), (30, 30, 20, 20), (25, 25, 20, 15, 15), (20, 20, 20, 20, 20))

# Student writing: sentences are built from these parts, then reused by index.
OPENERS = (
    "In recent years,", "At first glance,", "According to several studies,", "Many people assume that",
    "It is often argued that", "On the other hand,", "For this reason,", "Historically,", "In my experience,",
    "Critics point out that", "Taken together,", "More importantly,", "As a result,", "In contrast,", "Ultimately,",
)  # fmt: skip
SUBJECT_PHRASES = (
    "the evidence", "local communities", "young people", "policy makers", "researchers", "this argument",
    "the author", "public institutions", "new technologies", "ordinary citizens", "the data", "most schools",
)  # fmt: skip
VERB_PHRASES = (
    "suggest a more complicated picture", "depend on reliable information", "respond to changing incentives",
    "shape how the problem is understood", "overlook important trade-offs", "benefit from clearer rules",
    "reveal a gap between intention and outcome", "challenge the common assumption", "require sustained investment",
    "raise questions about fairness", "show measurable improvement", "struggle to keep pace with change",
)  # fmt: skip
CLOSERS = (
    "over the long term.", "in practice.", "when resources are limited.", "across different regions.",
    "for the people most affected.", "despite good intentions.", "according to the available evidence.",
    "in ways that are easy to miss.", "as the examples above show.", "without a clear plan.",
)  # fmt: skip

COMMENTS = (
    ("general", "Good start. Your introduction sets up the topic clearly."),
    ("suggestion", "Consider moving this point earlier; it supports your thesis directly."),
    ("inline", "This claim needs a source. Where does this figure come from?"),
    ("question", "How does this paragraph connect to your main argument?"),
    ("praise", "Excellent use of evidence here - very persuasive."),
    ("inline", "This sentence is hard to follow; try splitting it in two."),
    ("suggestion", "Your conclusion could return to the example from the opening."),
)
REPLIES = (
    "Thanks, I will revise this section.",
    "I found a source for this and added the citation.",
    "Good point - I moved it to the second paragraph.",
    "Could you say a bit more about what you mean here?",
)
FEEDBACK = (
    "A thoughtful piece with a clear argument. Strengthen the evidence in the middle section.",
    "Well organised and engaging. Watch citation formatting.",
    "Solid work. The counterargument deserves more attention.",
    "Clear thesis and strong conclusion. Some paragraphs need tighter topic sentences.",
    "Good progress since the draft; the revisions improved the structure considerably.",
)
INTERVENTIONS = (
    ("schedule_session", "Block two 30-minute writing sessions before the due date."),
    ("start_outline", "Start with a five-point outline; it makes the draft much easier."),
    ("office_hours", "Drop in to office hours to talk through your thesis."),
)
