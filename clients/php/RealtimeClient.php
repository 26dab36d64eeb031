<?php

declare(strict_types=1);

/*
 * MechaMap Realtime: a dependency-free publisher client (PHP >= 8.1 with ext-curl and ext-json).
 *
 * Copy this one file into a Laravel (or any PHP) application and `require_once` it, or list it
 * in composer.json under "autoload": {"files": [...]}. It sends the publish mutations of the
 * service's schema over HTTP POST with the publisher token as a bearer token, exactly as
 * `Http::withToken(...)->post(...)` would, and adds what a queue worker needs around that:
 *
 *  - timeouts: `connect_timeout` and `timeout` (seconds, per attempt);
 *  - retries with exponential backoff and jitter, only where nothing can have been published:
 *    an HTTP 5xx or 429, a GraphQL error with `extensions.code` `UNAVAILABLE` (the service
 *    could not reach Redis: nothing was published), or a connection that could not be made;
 *  - a timed-out request is NOT retried unless `retry_on_timeout` is true, because the service
 *    may have accepted the event before the answer was lost, and a retry would publish it twice;
 *  - every failure raised as a RealtimeException that carries the GraphQL `extensions.code`
 *    (`FORBIDDEN`, `UNAUTHENTICATED`, `BAD_USER_INPUT`, `UNAVAILABLE`, or null when the failure
 *    was not a GraphQL error), the HTTP status, the GraphQL errors and the number of attempts.
 *
 *     $realtime = new \MechaMap\Realtime\RealtimeClient('https://realtime.example.com/graphql', $token);
 *     $result = $realtime->publishNotification(['userId' => '42', 'type' => 'welcome', 'title' => 'Hello']);
 *     // ['id' => '…', 'publishedAt' => '2026-11-27T18:00:00.000Z']
 */

namespace MechaMap\Realtime;

final class RealtimeClient
{
    public const VERSION = '1.0.0';

    public const PUBLISH_NOTIFICATION = 'mutation PublishNotification($input: PublishNotificationInput!) '
        . '{ publishNotification(input: $input) { id publishedAt } }';

    public const PUBLISH_FORUM_ACTIVITY = 'mutation PublishForumActivity($input: PublishForumActivityInput!) '
        . '{ publishForumActivity(input: $input) { id publishedAt } }';

    private const DEFAULTS = [
        'connect_timeout' => 2.0,   // seconds to open the connection, per attempt
        'timeout' => 5.0,           // seconds for the whole request, per attempt
        'retries' => 2,             // attempts after the first one
        'backoff_ms' => 200,        // first retry waits about this long, each next one twice as long
        'max_backoff_ms' => 2000,   // no wait is longer than this
        'retry_on_timeout' => false,
        'user_agent' => 'mechamap-realtime-php/' . self::VERSION,
    ];

    /** @var array{connect_timeout: float, timeout: float, retries: int, backoff_ms: int, max_backoff_ms: int, retry_on_timeout: bool, user_agent: string} */
    private array $options;

    /** One handle per client, so consecutive publishes reuse the connection. */
    private ?\CurlHandle $curl = null;

    /**
     * @param string $endpoint the service's GraphQL URL, e.g. https://realtime.example.com/graphql
     * @param string $publisherToken one of the service's PUBLISHER_TOKENS
     * @param array<string, mixed> $options see DEFAULTS
     */
    public function __construct(private readonly string $endpoint, private readonly string $publisherToken, array $options = [])
    {
        if (!\extension_loaded('curl')) {
            throw new \LogicException('MechaMap\Realtime\RealtimeClient needs the curl extension (php-curl).');
        }
        $unknown = array_diff(array_keys($options), array_keys(self::DEFAULTS));
        if ($unknown !== []) {
            throw new \InvalidArgumentException('Unknown RealtimeClient option(s): ' . implode(', ', $unknown));
        }
        $merged = $options + self::DEFAULTS;
        $this->options = [
            'connect_timeout' => (float) $merged['connect_timeout'],
            'timeout' => (float) $merged['timeout'],
            'retries' => max(0, (int) $merged['retries']),
            'backoff_ms' => max(0, (int) $merged['backoff_ms']),
            'max_backoff_ms' => max(0, (int) $merged['max_backoff_ms']),
            'retry_on_timeout' => (bool) $merged['retry_on_timeout'],
            'user_agent' => (string) $merged['user_agent'],
        ];
    }

    /**
     * Delivers a notification to one user (fields of PublishNotificationInput: userId, type,
     * title, and optionally body, url, data).
     *
     * @param array<string, mixed> $input
     * @return array{id: string, publishedAt: string}
     */
    public function publishNotification(array $input): array
    {
        return $this->execute(self::PUBLISH_NOTIFICATION, ['input' => $input])['publishNotification'];
    }

    /**
     * Announces forum activity (fields of PublishForumActivityInput: kind, forumId, and
     * optionally threadId, postId, actorId, title, excerpt, url, visibility, data).
     *
     * @param array<string, mixed> $input
     * @return array{id: string, publishedAt: string}
     */
    public function publishForumActivity(array $input): array
    {
        return $this->execute(self::PUBLISH_FORUM_ACTIVITY, ['input' => $input])['publishForumActivity'];
    }

    /**
     * Runs any operation of the schema and returns its `data`; raises on any error.
     *
     * @param array<string, mixed> $variables
     * @return array<string, mixed>
     */
    public function execute(string $query, array $variables = []): array
    {
        $body = json_encode(
            ['query' => $query, 'variables' => (object) $variables],
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE,
        );
        $attempt = 0;
        while (true) {
            $attempt++;
            try {
                return $this->send($body, $attempt);
            } catch (RealtimeException $error) {
                if ($attempt > $this->options['retries'] || !$this->shouldRetry($error)) {
                    throw $error;
                }
            }
            usleep($this->backoffMs($attempt) * 1000);
        }
    }

    private function shouldRetry(RealtimeException $error): bool
    {
        if ($error instanceof RealtimeTimeoutException) {
            return $this->options['retry_on_timeout'];
        }
        return $error->isRetryable();
    }

    /** Exponential backoff with equal jitter: half the delay fixed, half random. */
    private function backoffMs(int $attempt): int
    {
        $delay = min($this->options['max_backoff_ms'], $this->options['backoff_ms'] * (2 ** ($attempt - 1)));
        $half = intdiv((int) $delay, 2);
        return $half + random_int(0, $half);
    }

    /** @return array<string, mixed> */
    private function send(string $body, int $attempt): array
    {
        $curl = $this->curl ??= curl_init();
        curl_reset($curl);
        curl_setopt_array($curl, [
            CURLOPT_URL => $this->endpoint,
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_CONNECTTIMEOUT_MS => (int) round($this->options['connect_timeout'] * 1000),
            CURLOPT_TIMEOUT_MS => (int) round($this->options['timeout'] * 1000),
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_HTTPHEADER => [
                'Content-Type: application/json',
                'Accept: application/json',
                'Authorization: Bearer ' . $this->publisherToken,
                'User-Agent: ' . $this->options['user_agent'],
            ],
        ]);
        $response = curl_exec($curl);
        if ($response === false) {
            $errno = curl_errno($curl);
            $message = curl_error($curl);
            if ($errno === CURLE_OPERATION_TIMEDOUT) {
                throw new RealtimeTimeoutException("MechaMap Realtime did not answer in time: {$message}", null, null, $attempt);
            }
            // Could not connect, resolve or complete TLS: a retry is safe only when nothing was sent.
            $safe = \in_array($errno, [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST], true);
            throw new RealtimeException("MechaMap Realtime could not be reached: {$message}", null, null, $attempt, [], $safe);
        }
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $retryableStatus = $status >= 500 || $status === 429;

        try {
            $decoded = json_decode((string) $response, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $error) {
            throw new RealtimeException("MechaMap Realtime answered HTTP {$status} without a GraphQL response", null, $status, $attempt, [], $retryableStatus, $error);
        }
        if (!\is_array($decoded)) {
            throw new RealtimeException("MechaMap Realtime answered HTTP {$status} without a GraphQL response", null, $status, $attempt, [], $retryableStatus);
        }

        $errors = isset($decoded['errors']) && \is_array($decoded['errors']) ? $decoded['errors'] : [];
        if ($errors !== []) {
            $first = \is_array($errors[0] ?? null) ? $errors[0] : [];
            $code = isset($first['extensions']['code']) && \is_string($first['extensions']['code']) ? $first['extensions']['code'] : null;
            $message = isset($first['message']) && \is_string($first['message']) ? $first['message'] : 'unknown error';
            throw new RealtimeException("MechaMap Realtime refused the operation ({$code}): {$message}", $code, $status, $attempt, $errors, $retryableStatus || $code === 'UNAVAILABLE');
        }
        if ($status < 200 || $status >= 300 || !isset($decoded['data']) || !\is_array($decoded['data'])) {
            throw new RealtimeException("MechaMap Realtime answered HTTP {$status} without data", null, $status, $attempt, [], $retryableStatus);
        }
        return $decoded['data'];
    }
}

/** Any failure of a publish: read getGraphQLCode() to tell a bad input from a bad token. */
class RealtimeException extends \RuntimeException
{
    /**
     * @param string|null $graphqlCode the first error's `extensions.code`, null when the failure was not a GraphQL error
     * @param int|null $httpStatus null when no HTTP answer arrived
     * @param int $attempts how many requests were made, retries included
     * @param list<mixed> $errors the GraphQL `errors` as decoded from JSON
     */
    public function __construct(
        string $message,
        private readonly ?string $graphqlCode,
        private readonly ?int $httpStatus,
        private readonly int $attempts,
        private readonly array $errors = [],
        private readonly bool $retryable = false,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, 0, $previous);
    }

    /** `FORBIDDEN`, `UNAUTHENTICATED`, `BAD_USER_INPUT`, `UNAVAILABLE`, … or null. */
    public function getGraphQLCode(): ?string
    {
        return $this->graphqlCode;
    }

    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }

    public function getAttempts(): int
    {
        return $this->attempts;
    }

    /** @return list<mixed> */
    public function getErrors(): array
    {
        return $this->errors;
    }

    /** True when nothing was published and trying again later may succeed (e.g. from a queued job). */
    public function isRetryable(): bool
    {
        return $this->retryable;
    }
}

/** No answer within `timeout`: the event may or may not have been published. */
final class RealtimeTimeoutException extends RealtimeException
{
}
