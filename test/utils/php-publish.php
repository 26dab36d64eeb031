<?php

// Runs one call of clients/php/RealtimeClient.php for the jest tests and prints its outcome as
// one JSON line. Usage: php php-publish.php '{"endpoint":…,"token":…,"options":{…},"method":…,"input":{…}}'

declare(strict_types=1);

require __DIR__ . '/../../clients/php/RealtimeClient.php';

use MechaMap\Realtime\RealtimeClient;
use MechaMap\Realtime\RealtimeException;

$call = json_decode($argv[1], true, 512, JSON_THROW_ON_ERROR);
$client = new RealtimeClient($call['endpoint'], $call['token'], $call['options'] ?? []);
$started = hrtime(true);
try {
    $outcome = ['result' => $client->{$call['method']}($call['input'])];
} catch (RealtimeException $error) {
    $outcome = ['error' => [
        'class' => (new ReflectionClass($error))->getShortName(),
        'code' => $error->getGraphQLCode(),
        'status' => $error->getHttpStatus(),
        'attempts' => $error->getAttempts(),
        'retryable' => $error->isRetryable(),
        'message' => $error->getMessage(),
    ]];
}
$outcome['elapsedMs'] = (hrtime(true) - $started) / 1e6;
echo json_encode($outcome, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
