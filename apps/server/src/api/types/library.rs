//! The library operations' request and response types.

use poem_openapi::Object;
use quiz_core::service::{LibraryEntry, LibraryPage};

use super::{ModeDto, StatusDto};
use crate::strict::{Absent, Text};

/// One quiz of the library.
#[derive(Debug, Object)]
pub struct LibraryEntryOut {
    /// Quiz id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `self_paced` or `hosted`.
    pub mode: ModeDto,
    /// Number of questions.
    pub questions: u64,
    /// Open or closed.
    pub status: StatusDto,
    /// Players who have joined.
    pub players: u64,
    /// Whether it has been played (anyone joined, or its hosted game left the lobby): an
    /// update then saves a new version instead of changing it.
    pub played: bool,
    /// The hosted game's phase (`lobby`, `question`, `reveal`, `board`, `paused`,
    /// `podium`), or null for a self-paced quiz or a game not opened yet.
    pub game: PhaseOrNull,
}

/// A page of the library.
#[derive(Debug, Object)]
pub struct LibraryOut {
    /// Quizzes matching `q` in all.
    pub total: u64,
    /// The page's offset.
    pub offset: u64,
    /// The page's limit.
    pub limit: u64,
    /// The page, by title then id.
    pub quizzes: Vec<LibraryEntryOut>,
}

impl LibraryOut {
    /// The page `page` at `offset` of `limit`.
    pub fn new(page: LibraryPage, offset: u64, limit: u64) -> Self {
        Self {
            total: page.total,
            offset,
            limit,
            quizzes: page.quizzes.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<LibraryEntry> for LibraryEntryOut {
    fn from(e: LibraryEntry) -> Self {
        Self {
            id: e.id.to_string(),
            title: e.title,
            mode: e.mode.into(),
            questions: e.questions as u64,
            status: e.status.into(),
            players: e.players,
            played: e.played,
            game: PhaseOrNull(e.game.map(str::to_owned)),
        }
    }
}

/// What an update saved.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SavedOut {
    /// The quiz saved: the same id, or the new version's.
    pub quiz: String,
    /// `true` when the quiz had been played and was saved as a new quiz.
    pub copied: bool,
    /// The new version's host key (a hosted quiz saved as a copy only).
    pub host_key: Absent<String>,
    /// The new version's host console, key included (a hosted quiz saved as a copy only).
    pub host_url: Absent<String>,
}

/// The body of a duplicate request (optional, and so is each field).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DuplicateIn {
    /// The copy's id; by default `{quiz}-copy`, or the first free `{quiz}-copy-N`.
    pub id: Absent<Text>,
    /// The copy's title; by default "{title} (copy)".
    pub title: Absent<Text>,
}

impl From<quiz_core::QuizMode> for ModeDto {
    fn from(m: quiz_core::QuizMode) -> Self {
        match m {
            quiz_core::QuizMode::SelfPaced => Self::SelfPaced,
            quiz_core::QuizMode::Hosted => Self::Hosted,
        }
    }
}

/// An optional JSON request body read as a [`super::Document`]: an empty body (with or
/// without a `Content-Type`) is `None`; a body that is there must be `application/json`.
/// poem-openapi's `Json` refuses a request without a `Content-Type` even when it has no
/// body, which would make `curl -X POST` of an optional body fail.
pub struct OptionalBody<T>(
    pub Option<serde_json::Value>,
    std::marker::PhantomData<fn() -> T>,
);

impl<'a, T: poem_openapi::types::Type> poem_openapi::ApiExtractor<'a> for OptionalBody<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        use poem_openapi::payload::Payload;
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: poem_openapi::payload::Json::<T>::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
        use poem_openapi::payload::Payload;
        let data = <Vec<u8> as poem::FromRequest>::from_request(request, body).await?;
        if data.is_empty() {
            return Ok(Self(None, std::marker::PhantomData));
        }
        match request.content_type() {
            Some(ct) if poem_openapi::payload::Json::<T>::check_content_type(ct) => {}
            Some(ct) => {
                return Err(ContentTypeError::NotSupported {
                    content_type: ct.to_owned(),
                }
                .into());
            }
            None => return Err(ContentTypeError::ExpectContentType.into()),
        }
        let value = serde_json::from_slice(&data).map_err(|e| ParseRequestPayloadError {
            reason: e.to_string(),
        })?;
        Ok(Self(Some(value), std::marker::PhantomData))
    }
}

/// A hosted game's phase name, or `null`: always present, and the schema says it may be
/// null (poem-openapi's `Option` would write `null` under a schema that forbids it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseOrNull(pub Option<String>);

impl poem_openapi::types::Type for PhaseOrNull {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "nullable_string".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                nullable: true,
                ..poem_openapi::registry::MetaSchema::new("string")
            },
        ))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl poem_openapi::types::ToJSON for PhaseOrNull {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(
            self.0
                .as_deref()
                .map_or(serde_json::Value::Null, serde_json::Value::from),
        )
    }
}

impl poem_openapi::types::ParseFromJSON for PhaseOrNull {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        match value {
            None | Some(serde_json::Value::Null) => Ok(Self(None)),
            Some(serde_json::Value::String(s)) => Ok(Self(Some(s))),
            Some(_) => Err(poem_openapi::types::ParseError::custom(
                "a phase name or null",
            )),
        }
    }
}
