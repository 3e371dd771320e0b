"""Jobs: specs, the queue and scheduler, backends, job kinds and the Keras callbacks that report."""
